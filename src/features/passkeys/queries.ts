import { signInFields } from '../../core/db/users'
import { and, asc, count, eq, lt, sql } from 'drizzle-orm'
import { deleteInBatches, type Database, type Transaction } from '../../core/db/client'
import { users } from '../../core/db/schema'
import type { Feature } from '../../core/feature'
import { changeWayIn, lockedWaysIn, type WayInChange } from '../../core/signin/ways-in'
import { passkeys, passkeySpentChallenges } from './schema'

/** Spends a challenge: true only for the one request whose INSERT IGNORE stored its hash. */
export async function spendCeremony(db: Database, tokenHash: string, expiresAt: Date) {
  const result = await db.insert(passkeySpentChallenges).ignore().values({ tokenHash, expiresAt })
  return result.rowsAffected === 1
}

/**
 * The passkey with this credential id's hash and its account, in one statement: what the door
 * needs to finish a sign-in it completes, and the stored key and counter.
 */
export async function findPasskeyForSignIn(db: Database, credentialHash: string) {
  const [row] = await db
    .select({
      passkeyId: passkeys.id,
      publicKey: passkeys.publicKey,
      algorithm: passkeys.algorithm,
      signCount: passkeys.signCount,
      ...signInFields,
    })
    .from(passkeys)
    .innerJoin(users, eq(users.id, passkeys.userId))
    .where(eq(passkeys.credentialHash, credentialHash))
    .limit(1)
  return row
}

/** One of this user's passkeys by its credential id's hash: its key and counter (sudo mode). */
export async function findOwnPasskey(db: Database, userId: number, credentialHash: string) {
  const [row] = await db
    .select({
      passkeyId: passkeys.id,
      publicKey: passkeys.publicKey,
      algorithm: passkeys.algorithm,
      signCount: passkeys.signCount,
    })
    .from(passkeys)
    .where(and(eq(passkeys.credentialHash, credentialHash), eq(passkeys.userId, userId)))
    .limit(1)
  return row
}

/**
 * Records a use under the counter rule (WebAuthn L3 7.2 step 21, as `counterRegressed`): the new
 * counter and the time, only where the stored counter is below the new one or both are 0, in one
 * statement, so of parallel uses replaying one counter (a cloned key) only the first writes. True
 * when written. A synced passkey (0 and 0) may match without changing the row (the same second),
 * which the database may report as no row: the caller accepts 0 whatever the answer.
 */
export async function recordUse(db: Database, passkeyId: number, newCount: number, now: Date) {
  const result = await db
    .update(passkeys)
    .set({ signCount: newCount, lastUsedAt: now })
    .where(
      and(
        eq(passkeys.id, passkeyId),
        sql`(${passkeys.signCount} < ${newCount} or (${newCount} = 0 and ${passkeys.signCount} = 0))`,
      ),
    )
  return result.rowsAffected === 1 || newCount === 0
}

export interface PasskeyRow {
  id: number
  name: string
  credentialId: string
  createdAt: Date
  lastUsedAt: Date | null
}

export function listPasskeys(db: Database, userId: number): Promise<PasskeyRow[]> {
  return db
    .select({
      id: passkeys.id,
      name: passkeys.name,
      credentialId: passkeys.credentialId,
      createdAt: passkeys.createdAt,
      lastUsedAt: passkeys.lastUsedAt,
    })
    .from(passkeys)
    .where(eq(passkeys.userId, userId))
    .orderBy(asc(passkeys.createdAt), asc(passkeys.id))
}

/**
 * Stores a new passkey as a credential change (`changeWayIn`): 'duplicate' when this credential is
 * already registered (to anyone), 'stale' when the account's credentials changed since the session.
 */
export function insertPasskey(
  db: Database,
  change: WayInChange,
  row: Omit<typeof passkeys.$inferInsert, 'id' | 'lastUsedAt' | 'userId'>,
) {
  return changeWayIn(db, change, async (tx) => {
    const inserted = await tx
      .insert(passkeys)
      .ignore()
      .values({ ...row, userId: change.userId })
    return inserted.rowsAffected === 1 ? undefined : 'duplicate'
  })
}

export async function renamePasskey(db: Database, userId: number, id: number, name: string) {
  const result = await db
    .update(passkeys)
    .set({ name })
    .where(and(eq(passkeys.id, id), eq(passkeys.userId, userId)))
  return result.rowsAffected === 1
}

/**
 * Removes one of the user's passkeys as a credential change (`changeWayIn`), unless it is the
 * account's last way in (`lockedWaysIn`: the password, passkeys, connected providers; NIST SP
 * 800-63B-4 4.2). 'last' when refused by that rule; false when there is no such key; 'stale' when
 * the credentials changed since the session (nothing is removed either way).
 */
export function removePasskey(
  db: Database,
  features: readonly Feature[],
  change: WayInChange,
  id: number,
) {
  const { userId } = change
  return changeWayIn(db, change, async (tx) => {
    if ((await lockedWaysIn(tx, features, userId)) <= 1) return 'last'
    const result = await tx
      .delete(passkeys)
      .where(and(eq(passkeys.id, id), eq(passkeys.userId, userId)))
    return result.rowsAffected === 1 ? undefined : false
  })
}

/** The user's passkeys, correlated to `users.id`: the feature's `waysIn` (core/signin/ways-in.ts). */
export const passkeyWaysIn = sql<number>`(select count(*) from ${passkeys} where ${passkeys.userId} = ${users.id})`

export function deletePasskeys(tx: Transaction, userId: number) {
  return tx.delete(passkeys).where(eq(passkeys.userId, userId))
}

export async function purgeSpentCeremonies(db: Database, now: Date) {
  return {
    passkey_challenges: await deleteInBatches(
      db,
      passkeySpentChallenges,
      lt(passkeySpentChallenges.expiresAt, now),
    ),
  }
}
