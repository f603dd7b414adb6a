import { and, asc, count, eq, sql } from 'drizzle-orm'
import type { Database, Transaction } from '../../core/db/client'
import { signInFields } from '../../core/db/users'
import { users } from '../../core/db/schema'
import { deleteUserSessions } from '../../core/db/sessions'
import { deleteUserSecrets } from '../../core/security/secrets'
import { NO_PASSWORD } from '../../core/signin/ways-in'
import type { ProviderId } from './config'
import { oauthAccounts } from './schema'

/** The account this identity signs in to, with the door's fields, in one statement. */
export async function findLinkedAccount(db: Database, provider: ProviderId, subject: string) {
  const [row] = await db
    .select({ ...signInFields, accountId: oauthAccounts.id })
    .from(oauthAccounts)
    .innerJoin(users, eq(users.id, oauthAccounts.userId))
    .where(and(eq(oauthAccounts.provider, provider), eq(oauthAccounts.subject, subject)))
    .limit(1)
  return row
}

/** Whether an account uses this (normalised) address; '' (no address) matches nothing. */
export async function emailInUse(db: Database, email: string) {
  if (!email) return false
  const [row] = await db.select({ id: users.id }).from(users).where(eq(users.email, email)).limit(1)
  return row !== undefined
}

export function touchAccount(db: Database, accountId: number, now: Date) {
  return db.update(oauthAccounts).set({ lastUsedAt: now }).where(eq(oauthAccounts.id, accountId))
}

/**
 * A new account for a first provider sign-in, with no password (`NO_PASSWORD`: nothing a password
 * can open) and the identity connected, in one transaction. Throws a duplicate-key error when the
 * address or the identity was taken meanwhile.
 */
export async function createProviderAccount(
  db: Database,
  account: { username: string; email: string; emailVerifiedAt: Date | null },
  identity: { provider: ProviderId; subject: string },
  now: Date,
) {
  return db.transaction(async (tx) => {
    const [created] = await tx
      .insert(users)
      .values({
        username: account.username,
        email: account.email,
        pass_word: NO_PASSWORD,
        emailVerifiedAt: account.emailVerifiedAt,
      })
      .$returningId()
    const userId = Number(created!.id)
    await tx.insert(oauthAccounts).values({ ...identity, userId, createdAt: now, lastUsedAt: now })
    return userId
  })
}

export interface ConnectedRow {
  id: number
  provider: string
  createdAt: Date
  lastUsedAt: Date | null
}

export function listConnected(db: Database, userId: number): Promise<ConnectedRow[]> {
  return db
    .select({
      id: oauthAccounts.id,
      provider: oauthAccounts.provider,
      createdAt: oauthAccounts.createdAt,
      lastUsedAt: oauthAccounts.lastUsedAt,
    })
    .from(oauthAccounts)
    .where(eq(oauthAccounts.userId, userId))
    .orderBy(asc(oauthAccounts.createdAt), asc(oauthAccounts.id))
}

/** What a credential change needs of the session that makes it (as passkeys has it). */
export interface Change {
  userId: number
  generation: number
  keepIdHash: string
}

// A way in added or removed is a credential change (DESIGN "Factors"): the generation moves on
// (only from the one the session read, so a change racing another loses), and every other session
// and pending secret ends, in the change's transaction.
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
 * Connects an identity to the signed-in account as a credential change. 'taken' when the identity
 * is already connected (to this account or another: never moved), 'stale' when the account's
 * credentials changed since the session.
 */
export async function connectIdentity(
  db: Database,
  change: Change,
  identity: { provider: ProviderId; subject: string },
  now: Date,
): Promise<'connected' | 'mine' | 'taken' | 'stale'> {
  try {
    return await db.transaction(async (tx) => {
      const inserted = await tx
        .insert(oauthAccounts)
        .ignore()
        .values({ ...identity, userId: change.userId, createdAt: now, lastUsedAt: now })
      if (inserted.rowsAffected !== 1) {
        const [owner] = await tx
          .select({ userId: oauthAccounts.userId })
          .from(oauthAccounts)
          .where(
            and(
              eq(oauthAccounts.provider, identity.provider),
              eq(oauthAccounts.subject, identity.subject),
            ),
          )
        return owner?.userId === change.userId ? 'mine' : 'taken'
      }
      if (!(await credentialChange(tx, change))) throw new Undo()
      return 'connected'
    })
  } catch (error) {
    if (error instanceof Undo) return 'stale'
    throw error
  }
}

/**
 * Disconnects one of the user's identities as a credential change, unless it is the account's last
 * way in (NIST SP 800-63B-4 4.2): the account row is locked first, so two removals racing cannot
 * both pass the count. 'last' when refused by that rule; false when there is no such connection or
 * the credentials changed since the session (nothing is removed).
 */
export async function disconnectIdentity(
  db: Database,
  change: Change,
  id: number,
  waysIn: (tx: Transaction) => Promise<number>,
) {
  try {
    return await db.transaction(async (tx): Promise<boolean | 'last'> => {
      await tx.select({ id: users.id }).from(users).where(eq(users.id, change.userId)).for('update')
      if ((await waysIn(tx)) <= 1) return 'last'
      const result = await tx
        .delete(oauthAccounts)
        .where(and(eq(oauthAccounts.id, id), eq(oauthAccounts.userId, change.userId)))
      if (result.rowsAffected !== 1) return false
      if (!(await credentialChange(tx, change))) throw new Undo()
      return true
    })
  } catch (error) {
    if (error instanceof Undo) return false
    throw error
  }
}

/** The user's connected identities, correlated to `users.id`: ways in (core/signin/ways-in.ts). */
export const connectedCount = sql<number>`(select count(*) from ${oauthAccounts} where ${oauthAccounts.userId} = ${users.id})`

export function deleteConnected(tx: Transaction, userId: number) {
  return tx.delete(oauthAccounts).where(eq(oauthAccounts.userId, userId))
}

export async function countConnected(db: Database, userId: number) {
  const [row] = await db
    .select({ n: count() })
    .from(oauthAccounts)
    .where(eq(oauthAccounts.userId, userId))
  return Number(row?.n ?? 0)
}
