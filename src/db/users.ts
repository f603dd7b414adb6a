import { and, eq, sql } from 'drizzle-orm'
import type { Database } from './client'
import { users } from './schema'
import { deleteUserTokens } from './tokens'

/** The user with this (already normalised) email, or undefined. */
export async function findUserByEmail(db: Database, email: string) {
  const [user] = await db
    .select({
      id: users.id,
      username: users.username,
      email: users.email,
      passwordHash: users.pass_word,
      emailVerifiedAt: users.emailVerifiedAt,
    })
    .from(users)
    .where(eq(users.email, email))
    .limit(1)
  return user
}

/** Inserts a user and returns its id; a taken email throws a duplicate-key error (errno 1062). */
export async function insertUser(
  db: Database,
  user: { username: string; email: string; passwordHash: string },
) {
  const [result] = await db
    .insert(users)
    .values({ username: user.username, email: user.email, pass_word: user.passwordHash })
    .$returningId()
  return Number(result?.id)
}

/** Replaces a user's password hash (used to upgrade legacy or low-cost hashes at login). */
export async function updatePasswordHash(db: Database, userId: number, passwordHash: string) {
  await db.update(users).set({ pass_word: passwordHash }).where(eq(users.id, userId))
}

/**
 * Marks `email` confirmed for the user, only while it is still the user's address (a link sent to
 * an address the account has since left must not confirm the new one). True when it was marked.
 */
export async function markEmailVerified(db: Database, userId: number, email: string, now: Date) {
  const result = await db
    .update(users)
    .set({ emailVerifiedAt: now })
    .where(and(eq(users.id, userId), eq(users.email, email)))
  return result.rowsAffected === 1
}

/** Moves the user to a confirmed new address; a taken address throws a duplicate-key error. */
export async function changeEmail(db: Database, userId: number, email: string, now: Date) {
  await db.update(users).set({ email, emailVerifiedAt: now }).where(eq(users.id, userId))
}

/**
 * Deletes what belongs to a user besides the row and sessions: one-time tokens (reset, verify,
 * email change). Account deletion calls it inside its transaction.
 */
export async function deleteUserData(db: Pick<Database, 'delete'>, userId: number) {
  await deleteUserTokens(db, userId)
}

/**
 * Sets the password chosen through a reset link. The link proved control of the address, so an
 * unconfirmed address counts as confirmed from now on.
 */
export async function resetPassword(db: Database, userId: number, passwordHash: string, now: Date) {
  await db
    .update(users)
    .set({
      pass_word: passwordHash,
      emailVerifiedAt: sql`coalesce(${users.emailVerifiedAt}, ${now})`,
    })
    .where(eq(users.id, userId))
}
