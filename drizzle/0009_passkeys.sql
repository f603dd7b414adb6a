CREATE TABLE `passkey_spent_challenges` (
	`token_hash` char(64) NOT NULL,
	`expires_at` datetime NOT NULL,
	CONSTRAINT `passkey_spent_challenges_token_hash` PRIMARY KEY(`token_hash`)
);
--> statement-breakpoint
CREATE TABLE `passkeys` (
	`id` bigint unsigned AUTO_INCREMENT NOT NULL,
	`user_id` bigint unsigned NOT NULL,
	`credential_hash` char(64) NOT NULL,
	`credential_id` varchar(1364) NOT NULL,
	`name` varchar(64) NOT NULL,
	`public_key` varchar(1200) NOT NULL,
	`algorithm` int NOT NULL,
	`sign_count` bigint unsigned NOT NULL DEFAULT 0,
	`created_at` datetime NOT NULL,
	`last_used_at` datetime,
	CONSTRAINT `passkeys_id` PRIMARY KEY(`id`),
	CONSTRAINT `passkeys_credential_hash_unique` UNIQUE(`credential_hash`)
);
--> statement-breakpoint
CREATE INDEX `passkey_spent_challenges_expires_idx` ON `passkey_spent_challenges` (`expires_at`);--> statement-breakpoint
CREATE INDEX `passkeys_user_id_idx` ON `passkeys` (`user_id`);