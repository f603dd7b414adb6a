import { eq } from 'drizzle-orm'
import type { Database } from './client'
import { users } from './schema'

/** The user with this (already normalised) email, or undefined. */
export async function findUserByEmail(db: Database, email: string) {
  const [user] = await db
    .select({
      id: users.id,
      username: users.username,
      email: users.email,
      passwordHash: users.pass_word,
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
