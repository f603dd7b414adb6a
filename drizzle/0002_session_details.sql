ALTER TABLE `sessions` ADD `last_seen_at` datetime DEFAULT CURRENT_TIMESTAMP NOT NULL;--> statement-breakpoint
ALTER TABLE `sessions` ADD `user_agent` varchar(255) DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE `sessions` ADD `location` varchar(100) DEFAULT '' NOT NULL;