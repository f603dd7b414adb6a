CREATE TABLE `recovery_codes` (
	`code_hash` char(64) NOT NULL,
	`user_id` bigint unsigned NOT NULL,
	`created_at` datetime NOT NULL,
	CONSTRAINT `recovery_codes_code_hash` PRIMARY KEY(`code_hash`)
);
--> statement-breakpoint
ALTER TABLE `users` ADD `totp_key` varchar(128);--> statement-breakpoint
ALTER TABLE `users` ADD `totp_last_step` bigint unsigned DEFAULT 0 NOT NULL;--> statement-breakpoint
CREATE INDEX `recovery_codes_user_id_idx` ON `recovery_codes` (`user_id`);