import { and, asc, count, eq, sql } from 'drizzle-orm'
import { isDuplicateKey, type Database, type Transaction } from '../../core/db/client'
import { hasPasswordNow, lockedNow } from '../../core/db/users'
import { sessions, users } from '../../core/db/schema'
import { deleteUserSessions } from '../../core/db/sessions'
import { deleteUserSecrets } from '../../core/security/secrets'
import { NO_PASSWORD } from '../../core/signin/ways-in'
import type { ProviderId } from './config'
import { oauthAccounts } from './schema'

/** What the sign-in door needs of an account, read with the identity (see SignInUser). */
const signInFields = {
  id: users.id,
  username: users.username,
  email: users.email,
  memberSince: users.createdAt,
  emailVerifiedAt: users.emailVerifiedAt,
  generation: users.credentialGeneration,
  failedSignIns: users.failedSignIns,
  sessionCount: sql<number>`(select count(*) from ${sessions} where ${sessions.userId} = ${users.id})`,
  twoFactor: sql<boolean>`${users.totpKey} is not null`.mapWith((v) => Number(v) === 1),
  hasPassword: hasPasswordNow,
  // A locked account is refused by the door after the provider proved who this is (issue 21).
  locked: lockedNow,
}

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
