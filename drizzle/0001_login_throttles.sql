CREATE TABLE `login_throttles` (
	`key_hash` char(64) NOT NULL,
	`failures` int unsigned NOT NULL,
	`window_started_at` datetime NOT NULL,
	`blocked_until` datetime,
	CONSTRAINT `login_throttles_key_hash` PRIMARY KEY(`key_hash`)
) DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
--> statement-breakpoint
CREATE INDEX `login_throttles_window_idx` ON `login_throttles` (`window_started_at`);