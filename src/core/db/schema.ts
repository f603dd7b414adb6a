import { sql } from 'drizzle-orm'
import { bigint, char, datetime, index, int, mysqlTable, varchar } from 'drizzle-orm/mysql-core'

// Column names `id`, `username`, `email`, `pass_word` are the legacy app's, kept so its database can be
// adopted in place. `pass_word` holds bcrypt hashes, or a legacy SHA-256 hex digest until next login.
export const users = mysqlTable('users', {
  // Not serial(): drizzle-kit writes `serial AUTO_INCREMENT`, which MariaDB's grammar rejects.
  id: bigint('id', { mode: 'number', unsigned: true }).autoincrement().primaryKey(),
  username: varchar('username', { length: 64 }).notNull(),
  // utf8mb4_bin: uniqueness compares exactly what the app normalised, so `é` and `e` never collide.
  email: varchar('email', { length: 254 }).notNull().unique('users_email_unique'),
  pass_word: varchar('pass_word', { length: 255 }).notNull(),
  createdAt: datetime('created_at', { mode: 'date' })
    .notNull()
    .default(sql`CURRENT_TIMESTAMP`),
  // When the owner last proved control of `email` (a verification or email-change link); null until.
  emailVerifiedAt: datetime('email_verified_at', { mode: 'date' }),
  // Bumped by every change that must end what the old credentials opened (password change, reset,
  // "sign out everywhere"): a session made under an older generation never loads, so a login that
  // raced the change cannot keep a session (ASVS 7.4.3).
  credentialGeneration: int('credential_generation', { unsigned: true }).notNull().default(0),
  // Wrong passwords in a row, from anywhere, until a success or a reset (NIST SP 800-63B-4 3.2.2:
  // past 100, a password alone no longer signs in from a browser that never signed in before).
  failedSignIns: int('failed_sign_ins', { unsigned: true }).notNull().default(0),
  // The authenticator-app (TOTP) key, AES-GCM encrypted (features/two-factor/crypto.ts); null when
  // the account has no second factor. Its presence is read with the sign-in lookup and the session
  // read, so whether a second step is owed never costs a statement of its own.
  totpKey: varchar('totp_key', { length: 128 }),
  // The last TOTP time step accepted: a code is accepted only for a later step, advanced by one
  // conditional UPDATE (ASVS 6.5.1: single use across isolates).
  totpLastStep: bigint('totp_last_step', { mode: 'number', unsigned: true }).notNull().default(0),
  // `user` or `admin` (issue 21); read with the session, so a change counts from the next request.
  // Only the command line (`npm run admin`) changes it: the console cannot make or unmake admins.
  role: varchar('role', { length: 8 }).notNull().default('user'),
  // A lock set from the admin console: while `locked_at` is set and `locked_until` is null or later
  // than now, the sign-in door refuses every method after a correct first step.
  lockedAt: datetime('locked_at', { mode: 'date' }),
  lockedUntil: datetime('locked_until', { mode: 'date' }),
  lockReason: varchar('lock_reason', { length: 200 }),
})

// Keyed by SHA-256 of the session id, never the raw id, so a leaked table cannot be replayed as cookies.
export const sessions = mysqlTable(
  'sessions',
  {
    idHash: char('id_hash', { length: 64 }).primaryKey(),
    userId: bigint('user_id', { mode: 'number', unsigned: true }).notNull(),
    createdAt: datetime('created_at', { mode: 'date' }).notNull(),
    expiresAt: datetime('expires_at', { mode: 'date' }).notNull(),
    // What the account's session list shows (ASVS 7.5.2); refreshed at most hourly with the expiry.
    lastSeenAt: datetime('last_seen_at', { mode: 'date' })
      .notNull()
      .default(sql`CURRENT_TIMESTAMP`),
    userAgent: varchar('user_agent', { length: 255 }).notNull().default(''),
    location: varchar('location', { length: 100 }).notNull().default(''),
    // The user's credential generation when the session started; loads only while it still matches.
    generation: int('generation', { unsigned: true }).notNull().default(0),
  },
  (t) => [
    // A user's sessions in age order: the session cap's trim and the sign-in's count read the
    // index alone, never sorting rows.
    index('sessions_user_created_idx').on(t.userId, t.createdAt),
    index('sessions_expires_at_idx').on(t.expiresAt),
  ],
)
