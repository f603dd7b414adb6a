CREATE INDEX `sessions_user_created_idx` ON `sessions` (`user_id`,`created_at`);--> statement-breakpoint
DROP INDEX `sessions_user_id_idx` ON `sessions`;