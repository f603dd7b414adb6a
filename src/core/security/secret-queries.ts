import { and, eq, gt, lt, ne } from 'drizzle-orm'
import { deleteInBatches, type Database } from '../db/client'
import { users } from '../db/schema'
import { oneTimeTokens as t } from './tables'

export interface SecretRow {
  tokenHash: string
  userId: number
  purpose: string
  newEmail: string | null
  createdAt: Date
  expiresAt: Date
}

/** Stores a secret and drops the user's older ones of the same purpose, in one round trip. */
export async function replaceSecret(db: Database, row: SecretRow) {
  await Promise.all([
    db
      .delete(t)
      .where(
        and(eq(t.userId, row.userId), eq(t.purpose, row.purpose), ne(t.tokenHash, row.tokenHash)),
      ),
    db.insert(t).values(row),
  ])
}

export interface SecretHolder {
  userId: number
  username: string
  email: string
  newEmail: string | null
  emailVerifiedAt: Date | null
}

/** The unexpired secret with this hash and purpose, and its user, in one statement. */
export async function findSecret(
  db: Database,
  tokenHash: string,
  purpose: string,
  now: Date,
): Promise<SecretHolder | undefined> {
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

/** Deletes the secret; true only for the one request whose delete removed it. */
export async function deleteSecret(db: Database, tokenHash: string): Promise<boolean> {
  const result = await db.delete(t).where(eq(t.tokenHash, tokenHash))
  return result.rowsAffected === 1
}

export async function deleteUserSecretRows(db: Pick<Database, 'delete'>, userId: number) {
  await db.delete(t).where(eq(t.userId, userId))
}

export function purgeSecretRows(db: Database, now: Date) {
  return deleteInBatches(db, t, lt(t.expiresAt, now))
}
