import { signInFields } from '../../core/db/users'
import { and, asc, count, eq, lt, sql } from 'drizzle-orm'
import { deleteInBatches, type Database, type Transaction } from '../../core/db/client'
import { users } from '../../core/db/schema'
import { deleteUserSessions } from '../../core/db/sessions'
import { deleteUserSecrets } from '../../core/security/secrets'
import type { Feature } from '../../core/feature'
import { countWaysIn } from '../../core/signin/ways-in'
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

/** What a factor change needs of the session that makes it. */
export interface Change {
  userId: number
  generation: number
  keepIdHash: string
}

// A factor added or removed is a credential change (DESIGN "Factors", as two-factor does): the
// generation moves on (only from the one the session read, so a change racing another loses),
// every other session and pending secret ends, in the change's transaction.
async function credentialChange(tx: Transaction, change: Change) {
  const result = await tx
    .update(users)
    .set({ credentialGeneration: sql`${users.credentialGeneration} + 1` })
    .where(and(eq(users.id, change.userId), eq(users.credentialGeneration, change.generation)))
  if (result.rowsAffected !== 1) return false
  await deleteUserSecrets(tx, change.userId)
  await deleteUserSessions(tx, change.userId, change.keepIdHash)
  return true
}

class Undo extends Error {}

/**
 * Stores a new passkey as a credential change: 'duplicate' when this credential is already
 * registered (to anyone), 'stale' when the account's credentials changed since the session.
 */
export async function insertPasskey(
  db: Database,
  change: Change,
  row: Omit<typeof passkeys.$inferInsert, 'id' | 'lastUsedAt' | 'userId'>,
): Promise<'added' | 'duplicate' | 'stale'> {
  try {
    return await db.transaction(async (tx) => {
      const inserted = await tx
        .insert(passkeys)
        .ignore()
        .values({ ...row, userId: change.userId })
      if (inserted.rowsAffected !== 1) return 'duplicate'
      if (!(await credentialChange(tx, change))) throw new Undo()
      return 'added'
    })
  } catch (error) {
    if (error instanceof Undo) return 'stale'
    throw error
  }
}

export async function renamePasskey(db: Database, userId: number, id: number, name: string) {
  const result = await db
    .update(passkeys)
    .set({ name })
    .where(and(eq(passkeys.id, id), eq(passkeys.userId, userId)))
  return result.rowsAffected === 1
}

/**
 * Removes one of the user's passkeys as a credential change, unless it is the account's last way
 * in (`countWaysIn`: the password, passkeys, connected providers; NIST SP 800-63B-4 4.2). The
 * account row is locked first, so two removals racing cannot both pass the check. 'last' when
 * refused by that rule; false when there is no such key or the credentials changed since the
 * session (nothing is removed).
 */
export async function removePasskey(
  db: Database,
  features: readonly Feature[],
  change: Change,
  id: number,
) {
  const { userId } = change
  try {
    return await db.transaction(async (tx): Promise<boolean | 'last'> => {
      await tx.select({ id: users.id }).from(users).where(eq(users.id, userId)).for('update')
      if ((await countWaysIn(tx, features, userId)) <= 1) return 'last'
      const result = await tx
        .delete(passkeys)
        .where(and(eq(passkeys.id, id), eq(passkeys.userId, userId)))
      if (result.rowsAffected !== 1) return false
      if (!(await credentialChange(tx, change))) throw new Undo()
      return true
    })
  } catch (error) {
    if (error instanceof Undo) return false
    throw error
  }
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
