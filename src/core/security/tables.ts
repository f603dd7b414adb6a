import {
  bigint,
  char,
  datetime,
  index,
  int,
  mysqlTable,
  tinyint,
  uniqueIndex,
  varchar,
} from 'drizzle-orm/mysql-core'

// The tables of the security pieces every capability shares: throttle counts and one-time secrets.
// drizzle.config.ts lists this file beside core/db/schema.ts and every feature's schema.ts.

// Attempts per key (email + address, address, account, signup address), reserved before the password
// is checked and refunded on success, counted in a fixed window; `blocked_until` holds a refusal or a
// progressive delay. Keys are keyed hashes, so the table holds no emails or addresses.
export const loginThrottles = mysqlTable(
  'login_throttles',
  {
    keyHash: char('key_hash', { length: 64 }).primaryKey(),
    failures: int('failures', { unsigned: true }).notNull(),
    windowStartedAt: datetime('window_started_at', { mode: 'date' }).notNull(),
    blockedUntil: datetime('blocked_until', { mode: 'date' }),
  },
  (t) => [index('login_throttles_window_idx').on(t.windowStartedAt)],
)

// Password reset, address verification and email change links. Only the SHA-256 of a token is kept,
// so a leaked table cannot be replayed as links; `purpose` binds a token to one action and
// `new_email` to the address it was sent to (OWASP Forgot Password Cheat Sheet).
export const oneTimeTokens = mysqlTable(
  'one_time_tokens',
  {
    tokenHash: char('token_hash', { length: 64 }).primaryKey(),
    userId: bigint('user_id', { mode: 'number', unsigned: true }).notNull(),
    purpose: varchar('purpose', { length: 16 }).notNull(),
    newEmail: varchar('new_email', { length: 254 }),
    createdAt: datetime('created_at', { mode: 'date' }).notNull(),
    expiresAt: datetime('expires_at', { mode: 'date' }).notNull(),
    // A challenge bound to a browser (core/security/challenges.ts): the keyed hash of the code the
    // person must type, if any, and how many wrong tries it has had; dead at its kind's limit.
    codeHash: char('code_hash', { length: 64 }),
    failures: tinyint('failures', { unsigned: true }).notNull().default(0),
  },
  // One live secret per user and purpose: a newer one replaces the older in one atomic upsert.
  (t) => [uniqueIndex('one_time_tokens_user_purpose_unique').on(t.userId, t.purpose)],
)
