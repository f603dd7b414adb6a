import { eq, sql } from 'drizzle-orm'
import type { Database, Transaction } from '../db/client'
import { users } from '../db/schema'
import type { Feature } from '../feature'

/**
 * `pass_word` of an account that has no password (one made by a provider sign-in): no hash, so
 * `verifyPassword` spends its dummy compare and never accepts it. The column stays NOT NULL, as the
 * adopted FastAPI table has it.
 */
export const NO_PASSWORD = ''

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
