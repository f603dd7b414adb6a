import { bigint, char, datetime, index, int, mysqlTable, varchar } from 'drizzle-orm/mysql-core'

// A person's passkeys (WebAuthn credentials). The raw credential id is looked up by its SHA-256
// (`credential_hash`, unique: one authenticator credential belongs to one account); the id itself
// is kept in base64url for allowCredentials and excludeCredentials. The public key is a JWK
// WebCrypto imports directly; `sign_count` is the last signature counter seen (the clone check).
export const passkeys = mysqlTable(
  'passkeys',
  {
    id: bigint('id', { mode: 'number', unsigned: true }).autoincrement().primaryKey(),
    userId: bigint('user_id', { mode: 'number', unsigned: true }).notNull(),
    credentialHash: char('credential_hash', { length: 64 }).notNull().unique(),
    // At most 1023 bytes (WebAuthn 5.1), 1364 characters of base64url.
    credentialId: varchar('credential_id', { length: 1364 }).notNull(),
    name: varchar('name', { length: 64 }).notNull(),
    publicKey: varchar('public_key', { length: 1200 }).notNull(),
    algorithm: int('algorithm').notNull(),
    signCount: bigint('sign_count', { mode: 'number', unsigned: true }).notNull().default(0),
    createdAt: datetime('created_at', { mode: 'date' }).notNull(),
    lastUsedAt: datetime('last_used_at', { mode: 'date' }),
  },
  (t) => [index('passkeys_user_id_idx').on(t.userId)],
)

// Spent WebAuthn challenges, until they would have expired anyway: a challenge is issued with no
// statement (a signed value in a `__Host-` cookie, see challenge.ts) and spent by one INSERT
// IGNORE of its hash, so a replay, or two parallel uses in any isolates, gets one success.
export const passkeySpentChallenges = mysqlTable(
  'passkey_spent_challenges',
  {
    tokenHash: char('token_hash', { length: 64 }).primaryKey(),
    expiresAt: datetime('expires_at', { mode: 'date' }).notNull(),
  },
  (t) => [index('passkey_spent_challenges_expires_idx').on(t.expiresAt)],
)
