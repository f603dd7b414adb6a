import { bigint, datetime, index, mysqlTable, uniqueIndex, varchar } from 'drizzle-orm/mysql-core'

// A provider identity connected to an account: the provider's id (`github`, `google`, `oidc`) and
// its stable subject (OIDC `sub`, GitHub's numeric user id; never the address, which can change
// hands), unique together, so one identity signs in to one account. No provider token is kept.
// `subject` is compared exactly (utf8mb4_bin, set in the migration): OIDC subjects are
// case-sensitive.
export const oauthAccounts = mysqlTable(
  'oauth_accounts',
  {
    id: bigint('id', { mode: 'number', unsigned: true }).autoincrement().primaryKey(),
    provider: varchar('provider', { length: 16 }).notNull(),
    subject: varchar('subject', { length: 255 }).notNull(),
    userId: bigint('user_id', { mode: 'number', unsigned: true }).notNull(),
    createdAt: datetime('created_at', { mode: 'date' }).notNull(),
    lastUsedAt: datetime('last_used_at', { mode: 'date' }),
  },
  (t) => [
    uniqueIndex('oauth_accounts_provider_subject_unique').on(t.provider, t.subject),
    index('oauth_accounts_user_id_idx').on(t.userId),
  ],
)
