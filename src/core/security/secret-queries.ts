import { and, eq, gt, lt, sql } from 'drizzle-orm'
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
  codeHash?: string | null
}

/**
 * Stores a secret in place of the user's earlier one of the same purpose, in one atomic statement
 * (the unique key on user and purpose), so two requests racing can never leave two live secrets.
 */
export async function replaceSecret(db: Database, row: SecretRow) {
  await db
    .insert(t)
    .values({ ...row, codeHash: row.codeHash ?? null, failures: 0 })
    .onDuplicateKeyUpdate({
      set: {
        tokenHash: sql`values(${t.tokenHash})`,
        newEmail: sql`values(${t.newEmail})`,
        codeHash: sql`values(${t.codeHash})`,
        failures: 0,
        createdAt: sql`values(${t.createdAt})`,
        expiresAt: sql`values(${t.expiresAt})`,
      },
    })
}

export interface SecretHolder {
  userId: number
  username: string
  email: string
  newEmail: string | null
  emailVerifiedAt: Date | null
  /** A challenge's keyed code hash (null for links and code-less challenges). */
  codeHash: string | null
  failures: number
  /** What the sign-in door needs to finish a sign-in this secret completes (a second step). */
  memberSince: Date
  generation: number
  /** The encrypted authenticator-app key, or null: a second step checks its code without a read. */
  totpKey: string | null
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
      codeHash: t.codeHash,
      failures: t.failures,
      memberSince: users.createdAt,
      generation: users.credentialGeneration,
      totpKey: users.totpKey,
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

/** Reserves one try at a challenge that has tries left; true when the try was taken. */
export async function reserveChallengeTry(db: Database, tokenHash: string, maxFailures: number) {
  const result = await db
    .update(t)
    .set({ failures: sql`${t.failures} + 1` })
    .where(and(eq(t.tokenHash, tokenHash), lt(t.failures, maxFailures)))
  return result.rowsAffected === 1
}

export async function deleteUserSecretRows(db: Pick<Database, 'delete'>, userId: number) {
  await db.delete(t).where(eq(t.userId, userId))
}

export function purgeSecretRows(db: Database, now: Date) {
  return deleteInBatches(db, t, lt(t.expiresAt, now))
}
