import { bigint, char, datetime, index, mysqlTable } from 'drizzle-orm/mysql-core'

// Recovery codes (ASVS 6.5.2-6.5.4): only a keyed hash of each (HMAC under the session secret), so
// a leaked table is no list of codes; the primary key is the unique index a spend deletes by.
export const recoveryCodes = mysqlTable(
  'recovery_codes',
  {
    codeHash: char('code_hash', { length: 64 }).primaryKey(),
    userId: bigint('user_id', { mode: 'number', unsigned: true }).notNull(),
    createdAt: datetime('created_at', { mode: 'date' }).notNull(),
  },
  (t) => [index('recovery_codes_user_id_idx').on(t.userId)],
)
