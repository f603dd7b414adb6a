ALTER TABLE `one_time_tokens` ADD `code_hash` char(64);--> statement-breakpoint
ALTER TABLE `one_time_tokens` ADD `failures` tinyint unsigned DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `sessions` ADD `generation` int unsigned DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `users` ADD `credential_generation` int unsigned DEFAULT 0 NOT NULL;--> statement-breakpoint
DELETE older FROM `one_time_tokens` AS older JOIN `one_time_tokens` AS newer ON newer.`user_id` = older.`user_id` AND newer.`purpose` = older.`purpose` AND (newer.`created_at` > older.`created_at` OR (newer.`created_at` = older.`created_at` AND newer.`token_hash` > older.`token_hash`));--> statement-breakpoint
ALTER TABLE `one_time_tokens` ADD CONSTRAINT `one_time_tokens_user_purpose_unique` UNIQUE(`user_id`,`purpose`);--> statement-breakpoint
DROP INDEX `one_time_tokens_user_id_idx` ON `one_time_tokens`;
