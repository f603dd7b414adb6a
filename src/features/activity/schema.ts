import { bigint, datetime, index, mysqlTable, varchar } from 'drizzle-orm/mysql-core'

// A person's own security log (issue 21): what happened to their account, in words they can read.
// Never an address in full, a token or an email (ASVS 16.2.5, 16.3.1): only a fixed vocabulary
// (`kind`, `outcome`, `method`, `reason`) and the place and browser as the session list words them.
export const securityEvents = mysqlTable(
  'security_events',
  {
    id: bigint('id', { mode: 'number', unsigned: true }).autoincrement().primaryKey(),
    userId: bigint('user_id', { mode: 'number', unsigned: true }).notNull(),
    at: datetime('at', { mode: 'date' }).notNull(),
    kind: varchar('kind', { length: 32 }).notNull(),
    outcome: varchar('outcome', { length: 12 }).notNull(),
    method: varchar('method', { length: 24 }).notNull().default(''),
    reason: varchar('reason', { length: 32 }).notNull().default(''),
    place: varchar('place', { length: 100 }).notNull().default(''),
    browser: varchar('browser', { length: 64 }).notNull().default(''),
  },
  (t) => [
    // The 30 newest of one user read the index in order; the purge walks `at` alone.
    index('security_events_user_at_idx').on(t.userId, t.at),
    index('security_events_at_idx').on(t.at),
  ],
)
