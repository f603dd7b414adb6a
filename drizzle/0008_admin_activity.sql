CREATE TABLE `security_events` (
	`id` bigint unsigned AUTO_INCREMENT NOT NULL,
	`user_id` bigint unsigned NOT NULL,
	`at` datetime NOT NULL,
	`kind` varchar(32) NOT NULL,
	`outcome` varchar(12) NOT NULL,
	`method` varchar(24) NOT NULL DEFAULT '',
	`reason` varchar(32) NOT NULL DEFAULT '',
	`place` varchar(100) NOT NULL DEFAULT '',
	`browser` varchar(64) NOT NULL DEFAULT '',
	CONSTRAINT `security_events_id` PRIMARY KEY(`id`)
);
--> statement-breakpoint
ALTER TABLE `users` ADD `role` varchar(8) DEFAULT 'user' NOT NULL;--> statement-breakpoint
ALTER TABLE `users` ADD `locked_at` datetime;--> statement-breakpoint
ALTER TABLE `users` ADD `locked_until` datetime;--> statement-breakpoint
ALTER TABLE `users` ADD `lock_reason` varchar(200);--> statement-breakpoint
CREATE INDEX `security_events_user_at_idx` ON `security_events` (`user_id`,`at`);--> statement-breakpoint
CREATE INDEX `security_events_at_idx` ON `security_events` (`at`);