CREATE TABLE `one_time_tokens` (
	`token_hash` char(64) NOT NULL,
	`user_id` bigint unsigned NOT NULL,
	`purpose` varchar(16) NOT NULL,
	`new_email` varchar(254) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin,
	`created_at` datetime NOT NULL,
	`expires_at` datetime NOT NULL,
	CONSTRAINT `one_time_tokens_token_hash` PRIMARY KEY(`token_hash`)
) DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
--> statement-breakpoint
ALTER TABLE `users` ADD `email_verified_at` datetime;--> statement-breakpoint
CREATE INDEX `one_time_tokens_user_id_idx` ON `one_time_tokens` (`user_id`);