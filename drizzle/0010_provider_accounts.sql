CREATE TABLE `oauth_accounts` (
	`id` bigint unsigned AUTO_INCREMENT NOT NULL,
	`provider` varchar(16) NOT NULL,
	`subject` varchar(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
	`user_id` bigint unsigned NOT NULL,
	`created_at` datetime NOT NULL,
	`last_used_at` datetime,
	CONSTRAINT `oauth_accounts_id` PRIMARY KEY(`id`),
	CONSTRAINT `oauth_accounts_provider_subject_unique` UNIQUE(`provider`,`subject`)
);
--> statement-breakpoint
CREATE INDEX `oauth_accounts_user_id_idx` ON `oauth_accounts` (`user_id`);