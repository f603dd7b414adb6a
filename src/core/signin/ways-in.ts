import { and, eq, sql } from 'drizzle-orm'
import type { Database, Transaction } from '../db/client'
import { users } from '../db/schema'
import { deleteUserSessions } from '../db/sessions'
import { NO_PASSWORD } from '../db/users'
import type { Feature } from '../feature'
import { deleteUserSecrets } from '../security/secrets'

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

/**
 * The account row locked, then its ways in counted under that lock: what a removal checks, so two
 * removals racing cannot both pass the count.
 */
export async function lockedWaysIn(tx: Transaction, features: readonly Feature[], userId: number) {
  await tx.select({ id: users.id }).from(users).where(eq(users.id, userId)).for('update')
  return countWaysIn(tx, features, userId)
}

/** What a change of the account's ways in needs of the session that makes it. */
export interface WayInChange {
  userId: number
  generation: number
  keepIdHash: string
}

class Stale extends Error {}

/**
 * A way in added or removed (a passkey, a connected identity) as a credential change (DESIGN
 * "Factors"), in one transaction: `edit` writes the feature's row and answers undefined when it
 * did, or else what to answer instead (and nothing changes); then the generation moves on, only
 * from the one the session read (a change racing another loses: 'stale', the row rolled back),
 * and every other session and pending secret ends. 'changed' when all of it was done.
 */
export async function changeWayIn<R>(
  db: Database,
  change: WayInChange,
  edit: (tx: Transaction) => Promise<R | undefined>,
): Promise<R | 'changed' | 'stale'> {
  try {
    return await db.transaction(async (tx) => {
      const refused = await edit(tx)
      if (refused !== undefined) return refused
      const result = await tx
        .update(users)
        .set({ credentialGeneration: sql`${users.credentialGeneration} + 1` })
        .where(and(eq(users.id, change.userId), eq(users.credentialGeneration, change.generation)))
      if (result.rowsAffected !== 1) throw new Stale()
      await deleteUserSecrets(tx, change.userId)
      await deleteUserSessions(tx, change.userId, change.keepIdHash)
      return 'changed' as const
    })
  } catch (error) {
    if (error instanceof Stale) return 'stale'
    throw error
  }
}
