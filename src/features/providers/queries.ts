import { and, asc, count, eq, sql } from 'drizzle-orm'
import { isDuplicateKey, type Database, type Transaction } from '../../core/db/client'
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
 * A first provider sign-in's account, in one statement beside `findLinkedAccount`: a user with no
 * password (`NO_PASSWORD`: nothing a password can open) and the address the provider verified,
 * made only while the identity is connected to no account, so a returning sign-in writes nothing.
 * Its id; 'connected' when the identity is connected (no row made); 'taken' when an account uses
 * the address (its unique key). The identity is inserted with the session (`connectNewAccount`).
 */
export async function insertProviderUser(
  db: Database,
  account: { username: string; email: string; emailVerifiedAt: Date },
  identity: { provider: ProviderId; subject: string },
): Promise<number | 'connected' | 'taken'> {
  const columns = [users.username, users.email, users.pass_word, users.emailVerifiedAt]
  const verifiedAt = sql.param(account.emailVerifiedAt, users.emailVerifiedAt)
  try {
    const result = await db.execute(sql`insert into ${users}
      (${sql.join(
        columns.map((column) => sql.identifier(column.name)),
        sql`, `,
      )})
      select ${account.username}, ${account.email}, ${NO_PASSWORD}, ${verifiedAt} from dual
      where not exists (select 1 from ${oauthAccounts}
        where ${oauthAccounts.provider} = ${identity.provider}
        and ${oauthAccounts.subject} = ${identity.subject})`)
    return result.rowsAffected === 1 ? Number(result.insertId) : 'connected'
  } catch (err) {
    if (isDuplicateKey(err)) return 'taken'
    throw err
  }
}

/**
 * The identity of the account `insertProviderUser` made; a duplicate-key error when the identity
 * was connected meanwhile.
 */
export async function connectNewAccount(
  db: Database,
  userId: number,
  identity: { provider: ProviderId; subject: string },
  now: Date,
) {
  await db.insert(oauthAccounts).values({ ...identity, userId, createdAt: now, lastUsedAt: now })
}

/**
 * Removes the account `insertProviderUser` made when its identity could not be inserted: only
 * while it still has no password (a reset landing meanwhile made it a real account).
 */
export async function deleteNewAccount(db: Database, userId: number) {
  await db.delete(users).where(and(eq(users.id, userId), eq(users.pass_word, NO_PASSWORD)))
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
