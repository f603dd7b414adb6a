import { and, eq, gt, lt, ne, sql } from 'drizzle-orm'
import type { Database } from './client'
import { oneTimeTokens as t, users } from './schema'

export type TokenPurpose = 'reset' | 'verify' | 'email_change'

export interface NewToken {
  tokenHash: string
  userId: number
  purpose: TokenPurpose
  newEmail: string | null
  createdAt: Date
  expiresAt: Date
}

/**
 * Stores a token and drops the user's older ones of the same purpose, in one round trip: a newer
 * link replaces every earlier one (OWASP Forgot Password Cheat Sheet).
 */
export async function replaceToken(db: Database, row: NewToken) {
  await Promise.all([
    db
      .delete(t)
      .where(
        and(eq(t.userId, row.userId), eq(t.purpose, row.purpose), ne(t.tokenHash, row.tokenHash)),
      ),
    db.insert(t).values(row),
  ])
}

export interface TokenHolder {
  userId: number
  username: string
  email: string
  newEmail: string | null
  emailVerifiedAt: Date | null
}

/** The unexpired token with this hash and purpose, and its user, in one statement. */
export async function findToken(
  db: Database,
  tokenHash: string,
  purpose: TokenPurpose,
  now: Date,
): Promise<TokenHolder | undefined> {
  const [row] = await db
    .select({
      userId: t.userId,
      username: users.username,
      email: users.email,
      newEmail: t.newEmail,
      emailVerifiedAt: users.emailVerifiedAt,
    })
    .from(t)
    .innerJoin(users, eq(users.id, t.userId))
    .where(and(eq(t.tokenHash, tokenHash), eq(t.purpose, purpose), gt(t.expiresAt, now)))
    .limit(1)
  return row
}

/**
 * Deletes the token; true only for the one request whose delete removed it, so two requests racing
 * with the same link cannot both use it (single use).
 */
export async function deleteToken(db: Database, tokenHash: string): Promise<boolean> {
  const result = await db.delete(t).where(eq(t.tokenHash, tokenHash))
  return result.rowsAffected === 1
}

/** Every token of a user (account deletion; the account engineer's deleteUserData calls this). */
export async function deleteUserTokens(db: Pick<Database, 'delete'>, userId: number) {
  await db.delete(t).where(eq(t.userId, userId))
}

/** Removes expired tokens in batches until none are left. */
export async function purgeExpiredTokens(db: Database, now: Date, batch = 1000) {
  let removed = 0
  for (;;) {
    const result = await db.execute(
      sql`delete from ${t} where ${lt(t.expiresAt, now)} limit ${sql.raw(String(batch))}`,
    )
    removed += result.rowsAffected
    if (result.rowsAffected < batch) return removed
  }
}
