import { eq } from 'drizzle-orm'
import type { Database } from './db/client'
import { users } from './db/schema'
import { deleteUserSessions, purgeExpiredSessions } from './db/sessions'
import type { Feature } from './feature'
import { deleteUserSecrets, purgeExpiredSecrets } from './security/secrets'
import { deleteKeys, purgeThrottles } from './security/throttle-queries'

/**
 * Deletes a user and everything of theirs in one transaction (ASVS 7.4.2): their sessions and
 * one-time secrets, every feature's rows (`deleteUserRows`, in list order), the throttle rows named
 * by `throttleKeyHashes` (keyed hashes of the account's email, which the table cannot be searched
 * by), and the user row last. Any failure rolls all of it back: never an account half deleted.
 */
export async function deleteAccount(
  db: Database,
  features: readonly Feature[],
  userId: number,
  throttleKeyHashes: string[],
) {
  await db.transaction(async (tx) => {
    await deleteUserSessions(tx, userId)
    await deleteUserSecrets(tx, userId)
    for (const feature of features) await feature.deleteUserRows?.(tx, userId)
    await deleteKeys(tx, throttleKeyHashes)
    await tx.delete(users).where(eq(users.id, userId))
  })
}

/** The cron's clean-up: expired sessions, secrets and throttle windows, then every feature's. */
export async function purgeExpired(db: Database, features: readonly Feature[], now: Date) {
  const counts: Record<string, number> = {
    sessions: await purgeExpiredSessions(db, now),
    tokens: await purgeExpiredSecrets(db, now),
  }
  await purgeThrottles(db, new Date(now.getTime() - 24 * 3600_000))
  for (const feature of features) Object.assign(counts, await feature.purge?.(db, now))
  return counts
}
