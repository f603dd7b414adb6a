import { and, desc, eq, inArray, sql } from 'drizzle-orm'
import { preparedOnce, type Database } from './client'
import { sessions, users } from './schema'

/**
 * `pass_word` of an account that has no password (one made by a provider sign-in): no hash, so
 * `verifyPassword` spends its dummy compare and never accepts it. The column stays NOT NULL, as the
 * adopted FastAPI table has it.
 */
export const NO_PASSWORD = ''

/**
 * Whether the account has a password, read with the session and every sign-in lookup (no statement
 * of its own): sudo-mode forms ask for it only then (core/signin/reauth.ts).
 */
export const hasPasswordNow = sql<boolean>`${users.pass_word} <> ${NO_PASSWORD}`.mapWith(
  (v) => Number(v) === 1,
)

/**
 * Whether the account is locked from the admin console now (issue 21): a lock with no end date, or
 * one that ends later. Read with every sign-in lookup, so the door refuses a locked account without
 * a statement of its own. Datetimes are stored in UTC (drizzle writes ISO strings), hence
 * utc_timestamp().
 */
export const lockedNow =
  sql<boolean>`(${users.lockedAt} is not null and (${users.lockedUntil} is null or ${users.lockedUntil} > utc_timestamp()))`.mapWith(
    (v) => Number(v) === 1,
  )

/**
 * What the sign-in door needs of an account (`SignInUser` in core/signin/door.tsx), read in the same
 * statement as whatever found the account: the password's row, a passkey, a provider's identity.
 */
export const signInFields = {
  id: users.id,
  username: users.username,
  email: users.email,
  memberSince: users.createdAt,
  emailVerifiedAt: users.emailVerifiedAt,
  generation: users.credentialGeneration,
  failedSignIns: users.failedSignIns,
  // Read here so a sign-in trims the session list only when it is near the cap.
  sessionCount: sql<number>`(select count(*) from ${sessions} where ${sessions.userId} = ${users.id})`,
  twoFactor: sql<boolean>`${users.totpKey} is not null`.mapWith((v) => Number(v) === 1),
  hasPassword: hasPasswordNow,
  // A locked account is refused by the door after the method proved who this is (issue 21).
  locked: lockedNow,
}

/**
 * The user with this normalised email, or undefined. With `typedEmail` (the address as typed), a row
 * stored exactly as typed (trimmed) is found too and preferred, in the same statement: accounts
 * adopted from the FastAPI app whose emails collide after normalisation keep their email exactly as
 * registered (see dev/legacy-adopt.ts), and each must still be able to sign in.
 */
export async function findUserByEmail(db: Database, email: string, typedEmail?: string) {
  const exact = typedEmail?.trim()
  const typedToo = !!exact && exact !== email
  const [user] = await findUserByEmailQuery(db, typedToo).execute({ email, exact })
  return user
}

const findUserByEmailQuery = preparedOnce((db, typedToo: boolean) => {
  const query = db.select({ ...signInFields, passwordHash: users.pass_word }).from(users)
  const [email, exact] = [sql.placeholder('email'), sql.placeholder('exact')]
  if (!typedToo) return query.where(eq(users.email, email)).limit(1).prepare()
  return query
    .where(inArray(users.email, [email, exact]))
    .orderBy(desc(sql`${users.email} = ${exact}`))
    .limit(1)
    .prepare()
})

/** The stored password hash of a user, for re-checking the password of a signed-in person. */
export async function findPasswordHash(db: Database, userId: number): Promise<string | undefined> {
  const [row] = await db
    .select({ passwordHash: users.pass_word })
    .from(users)
    .where(eq(users.id, userId))
    .limit(1)
  return row?.passwordHash
}

/** Inserts a user and returns its id; a taken email throws a duplicate-key error (errno 1062). */
export async function insertUser(
  db: Database,
  user: { username: string; email: string; passwordHash: string },
) {
  const [result] = await insertUserQuery(db, null).execute(user)
  return Number(result?.id)
}

const insertUserQuery = preparedOnce((db) =>
  db
    .insert(users)
    .values({
      username: sql.placeholder('username'),
      email: sql.placeholder('email'),
      pass_word: sql.placeholder('passwordHash'),
    })
    .$returningId()
    .prepare(),
)

/**
 * Upgrades a legacy or low-cost hash at sign-in, only while it is still the hash that was verified:
 * a password changed or reset meanwhile is never written back over.
 */
export async function rehashPassword(db: Database, userId: number, verified: string, next: string) {
  await db
    .update(users)
    .set({ pass_word: next })
    .where(and(eq(users.id, userId), eq(users.pass_word, verified)))
}

/** One more wrong password in a row for this account (NIST SP 800-63B-4 3.2.2). */
export async function countFailedSignIn(db: Database, userId: number) {
  await db
    .update(users)
    .set({ failedSignIns: sql`${users.failedSignIns} + 1` })
    .where(eq(users.id, userId))
}

/** A sign-in succeeded: the run of failures is over. */
export async function clearFailedSignIns(db: Database, userId: number) {
  await db.update(users).set({ failedSignIns: 0 }).where(eq(users.id, userId))
}

export async function updateUsername(db: Database, userId: number, username: string) {
  await db.update(users).set({ username }).where(eq(users.id, userId))
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
export async function changeEmail(
  db: Pick<Database, 'update'>,
  userId: number,
  email: string,
  now: Date,
) {
  await db.update(users).set({ email, emailVerifiedAt: now }).where(eq(users.id, userId))
}
