import { and, asc, count, eq, sql } from 'drizzle-orm'
import type { Database, Transaction } from '../../core/db/client'
import { signInFields } from '../../core/db/users'
import { users } from '../../core/db/schema'
import type { Feature } from '../../core/feature'
import { changeWayIn, lockedWaysIn, NO_PASSWORD, type WayInChange } from '../../core/signin/ways-in'
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

/**
 * Connects an identity to the signed-in account as a credential change (`changeWayIn`). 'mine'
 * when it is already connected to this account, 'taken' when to another (never moved), 'stale'
 * when the account's credentials changed since the session.
 */
export function connectIdentity(
  db: Database,
  change: WayInChange,
  identity: { provider: ProviderId; subject: string },
  now: Date,
) {
  return changeWayIn(db, change, async (tx) => {
    const inserted = await tx
      .insert(oauthAccounts)
      .ignore()
      .values({ ...identity, userId: change.userId, createdAt: now, lastUsedAt: now })
    if (inserted.rowsAffected === 1) return undefined
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
  })
}

/**
 * Disconnects one of the user's identities as a credential change (`changeWayIn`), unless it is
 * the account's last way in (`lockedWaysIn`; NIST SP 800-63B-4 4.2). 'last' when refused by that
 * rule; false when there is no such connection; 'stale' when the credentials changed since the
 * session (nothing is removed either way).
 */
export function disconnectIdentity(
  db: Database,
  features: readonly Feature[],
  change: WayInChange,
  id: number,
) {
  return changeWayIn(db, change, async (tx) => {
    if ((await lockedWaysIn(tx, features, change.userId)) <= 1) return 'last'
    const result = await tx
      .delete(oauthAccounts)
      .where(and(eq(oauthAccounts.id, id), eq(oauthAccounts.userId, change.userId)))
    return result.rowsAffected === 1 ? undefined : false
  })
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
