import { and, eq, sql } from 'drizzle-orm'
import type { Database, Transaction } from './db/client'
import { sessions, users } from './db/schema'
import { deleteUserSessions, purgeExpiredSessions } from './db/sessions'
import type { Feature } from './feature'
import { deleteUserSecrets, purgeExpiredSecrets, spendSecret } from './security/secrets'
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

/** What a credential change does besides ending what the old credentials opened. */
export interface CredentialChange {
  /** The new password's hash (a password change or a reset), or NO_PASSWORD to remove it. */
  passwordHash?: string
  /** A reset link proved the inbox: the address counts as confirmed from `now` if it was not. */
  confirmEmailAt?: Date
  /** The session that stays signed in ("sign out everywhere else"); it moves to the new generation. */
  keepIdHash?: string
  /** Throttle keys to forget: a reset clears the account's delay and its run of failures. */
  throttleKeyHashes?: string[]
  /** An admin's lock (issue 21): no sign-in by any method until `until` (null: until unlocked). */
  lock?: { at: Date; until: Date | null; reason: string }
  /** More of the same change, in its transaction (an admin removing the second factors). */
  alongside?: (tx: Transaction) => Promise<unknown>
  /**
   * A reset link's secret: the change happens only for the request whose delete removes it,
   * and inside the transaction, so a failure anywhere after it keeps the link usable (the person
   * tries again with the same mail) and two requests racing with one link change it once.
   */
  spending?: string
  /**
   * The generation the request read with its session: the change happens only while the account
   * is still at it. A change that waited behind a reset, a lock or another change must not undo
   * it or carry its session past it (ASVS 7.4.3).
   */
  fromGeneration?: number
}

/** What a credential change did: the new generation and how many sessions it ended. */
export interface CredentialChanged {
  generation: number
  ended: number
}

// Thrown inside the transaction to roll it back when the link was already spent, or when the
// account moved on from the generation the request read.
class AlreadySpent extends Error {}
class Superseded extends Error {}

/**
 * A credential change (password change, reset, "sign out everywhere else"), in one transaction:
 * the user's credential generation goes up, so no session made under the old one loads again,
 * even one a login racing this change inserts afterwards (ASVS 7.4.3); every other session row
 * goes; every pending secret of the user goes (reset links, pending email changes, codes and
 * challenges: OWASP Forgot Password Cheat Sheet, whatever the old credentials set in motion).
 * Returns the new generation (for the session that carries on) and how many sessions ended.
 */
export function changeCredentials(
  db: Database,
  userId: number,
  change: CredentialChange & ({ spending: string } | { fromGeneration: number }),
): Promise<CredentialChanged | undefined>
export function changeCredentials(
  db: Database,
  userId: number,
  change: CredentialChange,
): Promise<CredentialChanged>
export async function changeCredentials(db: Database, userId: number, change: CredentialChange) {
  const changed = db.transaction(async (tx): Promise<CredentialChanged> => {
    // The new generation comes back as the statement's insert id (LAST_INSERT_ID(expr)), so no
    // read follows the update.
    const bumped = await tx
      .update(users)
      .set({
        credentialGeneration: sql`last_insert_id(${users.credentialGeneration} + 1)`,
        ...(change.passwordHash !== undefined ? { pass_word: change.passwordHash } : {}),
        ...(change.confirmEmailAt
          ? { emailVerifiedAt: sql`coalesce(${users.emailVerifiedAt}, ${change.confirmEmailAt})` }
          : {}),
        ...(change.throttleKeyHashes ? { failedSignIns: 0 } : {}),
        ...(change.lock
          ? {
              lockedAt: change.lock.at,
              lockedUntil: change.lock.until,
              lockReason: change.lock.reason,
            }
          : {}),
      })
      .where(
        change.fromGeneration === undefined
          ? eq(users.id, userId)
          : and(eq(users.id, userId), eq(users.credentialGeneration, change.fromGeneration)),
      )
    if (change.fromGeneration !== undefined && bumped.rowsAffected !== 1) throw new Superseded()
    const generation = Number(bumped.insertId)
    // Single use (ASVS 6.4.1): of two requests racing with one link, the second waits on the
    // first's lock of the user row and then finds nothing to delete. After the user row, as every
    // writer of this user's secrets locks it (a login's pending step is written under the
    // generation it read): spending first deadlocked with those.
    if (change.spending && !(await spendSecret(tx, change.spending))) throw new AlreadySpent()
    const ended = await deleteUserSessions(tx, userId, change.keepIdHash)
    if (change.keepIdHash) {
      await tx
        .update(sessions)
        .set({ generation })
        .where(and(eq(sessions.idHash, change.keepIdHash), eq(sessions.userId, userId)))
    }
    await deleteUserSecrets(tx, userId)
    await deleteKeys(tx, change.throttleKeyHashes ?? [])
    await change.alongside?.(tx)
    return { generation, ended }
  })
  return changed.catch((err: unknown) => {
    if (err instanceof AlreadySpent || err instanceof Superseded) return undefined
    throw err
  })
}

/**
 * Pre-account hijacking (Sudhodanan & Paverd, 2022): anyone can sign up with an address that is
 * not theirs, set a password, add a passkey or connect an identity of their own, and wait for the
 * owner to use the account. So when the inbox is first proved on an account whose address was
 * never confirmed (a reset, a sign-in by emailed code), every way in set before goes with the
 * change, in its transaction: each feature's, and the caller replaces or removes the password.
 */
export async function forgetCredentials(
  tx: Transaction,
  features: readonly Feature[],
  userId: number,
) {
  for (const feature of features) await feature.forgetCredentials?.(tx, userId)
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
