import { desc, eq, inArray, sql } from 'drizzle-orm'
import type { Database } from './client'
import { users } from './schema'

/**
 * The user with this normalised email, or undefined. With `typedEmail` (the address as typed), a row
 * stored exactly as typed (trimmed) is found too and preferred, in the same statement: accounts
 * adopted from the FastAPI app whose emails collide after normalisation keep their email exactly as
 * registered (see dev/legacy-adopt.ts), and each must still be able to sign in.
 */
export async function findUserByEmail(db: Database, email: string, typedEmail?: string) {
  const exact = typedEmail?.trim()
  const query = db
    .select({
      id: users.id,
      username: users.username,
      email: users.email,
      passwordHash: users.pass_word,
    })
    .from(users)
  if (!exact || exact === email) {
    const [user] = await query.where(eq(users.email, email)).limit(1)
    return user
  }
  const [user] = await query
    .where(inArray(users.email, [email, exact]))
    .orderBy(desc(sql`${users.email} = ${exact}`))
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
