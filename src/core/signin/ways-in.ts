import { eq, sql } from 'drizzle-orm'
import type { Database, Transaction } from '../db/client'
import { users } from '../db/schema'
import { NO_PASSWORD } from '../db/users'
import type { Feature } from '../feature'

export { NO_PASSWORD } from '../db/users'

/**
 * How many ways into the account remain: its password (when it has one) plus every feature's
 * `waysIn` (passkeys, connected providers), in one statement. Removing a way in is refused when
 * this is 1, so an owner can never lock themselves out (NIST SP 800-63B-4 4.2: keep at least one
 * authenticator bound; ASVS 6.4.5 asks the same of recovery).
 */
export async function countWaysIn(
  // A transaction too: a removal counts under its lock on the account row.
  db: Database | Transaction,
  features: readonly Feature[],
  userId: number,
): Promise<number> {
  const counts = features.flatMap((f) => (f.waysIn ? [sql`(${f.waysIn})`] : []))
  const total = sql<number>`(${users.pass_word} <> ${NO_PASSWORD}) + ${sql.join(
    [sql`0`, ...counts],
    sql` + `,
  )}`.mapWith(Number)
  const [row] = await db.select({ total }).from(users).where(eq(users.id, userId)).limit(1)
  return row?.total ?? 0
}
