import { and, count, eq, isNotNull, isNull, lt, sql } from 'drizzle-orm'
import { retryOnDeadlock, type Database, type Transaction } from '../../core/db/client'
import { users } from '../../core/db/schema'
import { deleteUserSessions } from '../../core/db/sessions'
import { deleteUserSecrets } from '../../core/security/secrets'
import { loginThrottles as th, oneTimeTokens as t } from '../../core/security/tables'
import type { ChallengeKind } from '../../core/security/challenges'
import { recoveryCodes } from './schema'

/**
 * The replay rule (ASVS 6.5.1): a code is accepted only if its step is later than the last one
 * accepted, decided by this one conditional UPDATE, so a replayed code, or one code sent twice in
 * parallel to any isolates, gets one success. True when this request advanced the step.
 */
export async function advanceStep(db: Database, userId: number, step: number) {
  const result = await db
    .update(users)
    .set({ totpLastStep: step })
    .where(and(eq(users.id, userId), lt(users.totpLastStep, step), isNotNull(users.totpKey)))
  return result.rowsAffected === 1
}

// ---- The second step of a sign-in, in two round trips (routes.tsx, `secondStep`) ----

/** What the second step's statements are conditioned on: the pending sign-in and its account. */
export interface PendingStep {
  kind: ChallengeKind
  tokenHash: string
  userId: number
  /** The credential generation read with the pending sign-in: a change since then refuses. */
  generation: number
  /** The account's code throttle key (see `pendingAccountKey`). */
  accountKey: string
  now: Date
}

const livePending = (kind: ChallengeKind, tokenHash: string, now: Date) =>
  sql`${t.tokenHash} = ${tokenHash} and ${t.purpose} = ${kind.purpose} and ${t.expiresAt} > ${now}
    and ${t.failures} < ${kind.maxFailures}`

/**
 * The account's code throttle key as the database derives it from the live pending sign-in the
 * cookie names (core `reserveAttemptFrom`), so the account's attempt is reserved beside the
 * pending sign-in's read, before any code is checked; `accountKeyOf` is the same key in the Worker.
 */
export function pendingAccountKey(
  pepper: string,
  kind: ChallengeKind,
  tokenHash: string,
  now: Date,
) {
  return {
    key: sql`sha2(concat(${pepper}, ':', ${t.userId}), 256)`,
    from: sql`from ${t} where ${livePending(kind, tokenHash, now)}`,
  }
}

// Beside a parallel request's reservation (which reads the pending sign-in's row under a shared lock
// and writes the throttle row) InnoDB may pick one of these as a deadlock victim: rolled back
// whole, so running it again is safe.

/**
 * The app code's one conditional statement (ASVS 6.5.1, 6.3.1): the account's last used step
 * advances to this code's (`… < step`: a replay, or the same code sent in parallel to any isolates,
 * gets one success), and in the same statement the pending sign-in is spent (its tries jump to the
 * limit: dead, as after too many wrong codes; only while it still had a try, so it also takes the
 * try) and the account's code throttle is settled (a success forgets its count). Nothing when the
 * credentials changed since the pending sign-in was read. True for the one request that won.
 * Every assignment is a constant, so the order a multi-table UPDATE applies them in cannot matter.
 */
export async function acceptAppCode(
  db: Database,
  p: PendingStep,
  step: number,
  rewrap?: { from: string; to: string },
) {
  // After a key rotation (README), a row still under an older key version is rewritten under the
  // current one by the same statement, only if it still holds what was read and opened.
  const reseal = rewrap ? sql`, ${users.totpKey} = ${rewrap.to}` : sql``
  const sealed = rewrap ? sql`= ${rewrap.from}` : sql`is not null`
  const result = await retryOnDeadlock(() =>
    db.execute(sql`update ${t} join ${users} on ${users.id} = ${t.userId}
    left join ${th} on ${th.keyHash} = ${p.accountKey}
    set ${users.totpLastStep} = ${step}${reseal}, ${t.failures} = ${p.kind.maxFailures},
      ${th.failures} = 0, ${th.blockedUntil} = null
    where ${livePending(p.kind, p.tokenHash, p.now)} and ${users.id} = ${p.userId}
      and ${users.totpLastStep} < ${step} and ${users.totpKey} ${sealed}
      and ${users.credentialGeneration} = ${p.generation}`),
  )
  // The users row and the pending sign-in's are joined: both change, or neither.
  return result.rowsAffected >= 2
}

/**
 * A recovery code's one conditional statement (ASVS 6.5.2): one multi-table DELETE spends the code,
 * the pending sign-in (while it still had a try) and the account's code throttle count together;
 * true for the one request that removed them.
 */
export async function acceptRecoveryCode(db: Database, p: PendingStep, codeHash: string) {
  const result = await retryOnDeadlock(() =>
    db.execute(sql`delete ${recoveryCodes}, ${t}, ${th} from ${recoveryCodes}
    join ${t} on ${t.userId} = ${recoveryCodes.userId}
    join ${users} on ${users.id} = ${recoveryCodes.userId}
    left join ${th} on ${th.keyHash} = ${p.accountKey}
    where ${recoveryCodes.codeHash} = ${codeHash} and ${recoveryCodes.userId} = ${p.userId}
      and ${livePending(p.kind, p.tokenHash, p.now)}
      and ${users.credentialGeneration} = ${p.generation}`),
  )
  return result.rowsAffected >= 2
}

/** Spends a recovery code by one conditional DELETE: true for the one request that removed it. */
export async function spendRecoveryCode(db: Database, userId: number, codeHash: string) {
  const result = await db
    .delete(recoveryCodes)
    .where(and(eq(recoveryCodes.codeHash, codeHash), eq(recoveryCodes.userId, userId)))
  return result.rowsAffected === 1
}

export async function countRecoveryCodes(db: Database, userId: number): Promise<number> {
  const [row] = await db
    .select({ n: count() })
    .from(recoveryCodes)
    .where(eq(recoveryCodes.userId, userId))
  return Number(row?.n ?? 0)
}

/** The encrypted key of an account's authenticator app, or undefined when it has none. */
export async function findTotpKey(db: Database, userId: number) {
  const [row] = await db
    .select({ totpKey: users.totpKey })
    .from(users)
    .where(eq(users.id, userId))
    .limit(1)
  return row?.totpKey ?? undefined
}

async function putRecoveryCodes(tx: Transaction, userId: number, hashes: string[], now: Date) {
  await tx.delete(recoveryCodes).where(eq(recoveryCodes.userId, userId))
  await tx
    .insert(recoveryCodes)
    .values(hashes.map((codeHash) => ({ codeHash, userId, createdAt: now })))
}

// A factor added or removed is a credential change (DESIGN "Factors"; ASVS 7.4.3 by analogy with
// a password change): the generation moves on, so every session made under the old one (and any
// sign-in racing the change) stops loading; pending secrets end; all in one transaction.
async function credentialChange(tx: Transaction, userId: number, keepIdHash: string) {
  await deleteUserSecrets(tx, userId)
  await deleteUserSessions(tx, userId, keepIdHash)
}

/**
 * Turns the second factor on with its first code's step already used, and the recovery codes, in
 * one transaction; false (and nothing written) when the account already has one or its credentials
 * changed since the session was made.
 */
export async function enableTwoFactor(
  db: Database,
  change: {
    userId: number
    generation: number
    keepIdHash: string
    totpKey: string
    step: number
    codeHashes: string[]
  },
  now: Date,
): Promise<boolean> {
  return db.transaction(async (tx) => {
    const result = await tx
      .update(users)
      .set({
        totpKey: change.totpKey,
        totpLastStep: change.step,
        credentialGeneration: sql`${users.credentialGeneration} + 1`,
      })
      .where(
        and(
          eq(users.id, change.userId),
          isNull(users.totpKey),
          eq(users.credentialGeneration, change.generation),
        ),
      )
    if (result.rowsAffected !== 1) return false
    await putRecoveryCodes(tx, change.userId, change.codeHashes, now)
    await credentialChange(tx, change.userId, change.keepIdHash)
    return true
  })
}

/** Turns the second factor off: the key, its step and every recovery code go. */
export async function disableTwoFactor(
  db: Database,
  change: { userId: number; generation: number; keepIdHash: string },
): Promise<boolean> {
  return db.transaction(async (tx) => {
    const result = await tx
      .update(users)
      .set({
        totpKey: null,
        totpLastStep: 0,
        credentialGeneration: sql`${users.credentialGeneration} + 1`,
      })
      .where(
        and(
          eq(users.id, change.userId),
          isNotNull(users.totpKey),
          eq(users.credentialGeneration, change.generation),
        ),
      )
    if (result.rowsAffected !== 1) return false
    await tx.delete(recoveryCodes).where(eq(recoveryCodes.userId, change.userId))
    await credentialChange(tx, change.userId, change.keepIdHash)
    return true
  })
}

/** Replaces every recovery code of the user with new ones (regenerating). */
export function replaceRecoveryCodes(db: Database, userId: number, hashes: string[], now: Date) {
  return db.transaction((tx) => putRecoveryCodes(tx, userId, hashes, now))
}

/** Account deletion: the recovery codes go with the account (the key is on the users row). */
export function deleteRecoveryCodes(tx: Transaction, userId: number) {
  return tx.delete(recoveryCodes).where(eq(recoveryCodes.userId, userId))
}

/**
 * What the admin console shows of this feature's factors: whether an authenticator app is set and
 * how many recovery codes are left, correlated to `users.id` so the user page reads them with the
 * user row; never a key or a code.
 */
export const factorCounts = [
  {
    label: 'Authenticator app',
    count: sql<number>`(${users.totpKey} is not null)`.mapWith(Number),
  },
  {
    label: 'Recovery codes left',
    count:
      sql<number>`(select count(*) from ${recoveryCodes} where ${recoveryCodes.userId} = ${users.id})`.mapWith(
        Number,
      ),
  },
] as const

/**
 * An admin's "remove the second factors" (a lost phone), inside the caller's credential change
 * (which bumps the generation and ends every session and pending secret): the key, its step and
 * every recovery code go.
 */
export async function removeFactors(tx: Transaction, userId: number) {
  await tx.update(users).set({ totpKey: null, totpLastStep: 0 }).where(eq(users.id, userId))
  await tx.delete(recoveryCodes).where(eq(recoveryCodes.userId, userId))
}
