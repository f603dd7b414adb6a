import { and, eq, gt, isNotNull, lt, sql } from 'drizzle-orm'
import { deleteInBatches, retryOnDeadlock, type Database } from '../db/client'
import { users } from '../db/schema'
import { signInFields } from '../db/users'
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
  // Two at once for one user (two "Forgot your password?" clicks, whose mail jobs run together)
  // can deadlock on the unique key's locks: InnoDB rolls one back, and it is simply run again.
  await retryOnDeadlock(() =>
    db
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
      }),
  )
}

/**
 * `replaceSecret`, only while the user's credential generation is still `generation` (the one the
 * request read), in the same atomic statement (INSERT … SELECT from the user's row): a request that
 * read the account before a credential change and writes after it (a first step racing a reset,
 * an email change racing a password change) leaves nothing the change did not end. True when
 * stored.
 */
export async function replaceSecretUnder(db: Database, row: SecretRow, generation: number) {
  const result = await retryOnDeadlock(() =>
    db.execute(sql`insert into ${t} (${sql.raw(
      'token_hash, user_id, purpose, new_email, created_at, expires_at, code_hash, failures',
    )})
      select ${row.tokenHash}, ${users.id}, ${row.purpose}, ${row.newEmail}, ${row.createdAt},
        ${row.expiresAt}, ${row.codeHash ?? null}, 0
      from ${users} where ${users.id} = ${row.userId} and ${users.credentialGeneration} = ${generation}
      on duplicate key update ${t.tokenHash} = values(${t.tokenHash}),
        ${t.newEmail} = values(${t.newEmail}), ${t.codeHash} = values(${t.codeHash}),
        ${t.failures} = 0, ${t.createdAt} = values(${t.createdAt}),
        ${t.expiresAt} = values(${t.expiresAt})`),
  )
  return result.rowsAffected > 0
}

/** The secret's row with its account as the sign-in door reads it (`signInFields`). */
export interface SecretHolder {
  /** The account's id (as `userId`): what a sign-in this secret completes hands the door. */
  id: number
  userId: number
  username: string
  email: string
  newEmail: string | null
  emailVerifiedAt: Date | null
  /** A challenge's keyed code hash (null for links and code-less challenges). */
  codeHash: string | null
  failures: number
  /** What the sign-in door needs to finish a sign-in this secret completes (a code, a second step). */
  memberSince: Date
  generation: number
  /** The encrypted authenticator-app key, or null: a second step checks its code without a read. */
  totpKey: string | null
  /** Whether `totpKey` is set. */
  twoFactor: boolean
  /** Wrong passwords in a row (a sign-in this secret completes clears them; see the door). */
  failedSignIns: number
  /** The user's session rows, so a sign-in trims the list only near the cap (see SessionUser). */
  sessionCount: number
  /** Whether the account is locked (the door refuses it after the secret proved the step). */
  locked: boolean
  /** Whether the account has a password, for the session a sign-in this secret completes starts. */
  hasPassword: boolean
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
      ...signInFields,
      userId: t.userId,
      newEmail: t.newEmail,
      codeHash: t.codeHash,
      failures: t.failures,
      totpKey: users.totpKey,
    })
    .from(t)
    .innerJoin(users, eq(users.id, t.userId))
    .where(and(eq(t.tokenHash, tokenHash), eq(t.purpose, purpose), gt(t.expiresAt, now)))
    .limit(1)
  return row
}

/** Deletes the secret; true only for the one request whose delete removed it. */
export async function deleteSecret(
  db: Pick<Database, 'delete'>,
  tokenHash: string,
): Promise<boolean> {
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

/** What a code try added to `failures` when the code was right (and the challenge is now spent). */
const SPENT = 128

/**
 * One try at a challenge's typed code in one atomic statement, under the row's lock: it takes a try
 * (only while tries are left), compares the code's keyed hash and, when it matches, spends the
 * challenge (the code hash becomes null and the tries jump past any limit), so parallel tries can
 * neither exceed the limit nor both succeed. What happened travels back through
 * LAST_INSERT_ID(expr), as in the throttle's reservation: the assignments run left to right, in
 * the table's column order (code_hash before failures), each seeing the ones before it.
 * 'none' when there was no live challenge with tries left. The comparison runs in the database,
 * not in constant time: both sides are HMACs under the server's secret, so its timing tells a
 * guesser nothing they can steer towards the code.
 */
export async function tryChallengeCode(
  db: Database,
  tokenHash: string,
  codeHash: string,
  maxFailures: number,
  now: Date,
): Promise<'none' | 'wrong' | 'right'> {
  const result = await db
    .update(t)
    .set({
      codeHash: sql`if(${t.codeHash} = ${codeHash}, null, ${t.codeHash})`,
      failures: sql`last_insert_id(${t.failures} + if(${t.codeHash} is null, ${SPENT}, 1))`,
    })
    .where(
      and(
        eq(t.tokenHash, tokenHash),
        isNotNull(t.codeHash),
        lt(t.failures, maxFailures),
        gt(t.expiresAt, now),
      ),
    )
  if (result.rowsAffected !== 1) return 'none'
  return Number(result.insertId) >= SPENT ? 'right' : 'wrong'
}
