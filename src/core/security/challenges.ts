import type { Context } from 'hono'
import { deleteCookie, getCookie, setCookie } from 'hono/cookie'
import type { Database } from '../db/client'
import { cookiePolicy } from '../http/cookies'
import { sha256Hex } from './digest'
import { LINK, type SecretKind } from './secrets'
import {
  deleteSecret,
  findSecret,
  reserveChallengeTry,
  replaceSecret,
  replaceSecretUnder,
  tryChallengeCode,
  type SecretHolder,
} from './secret-queries'
import { keyedHash } from './throttle'

/**
 * A challenge: a one-time secret bound to the browser that asked for it. The browser holds a
 * 160-bit token in a `__Host-` session cookie (no Max-Age: gone when the browser closes); the table
 * holds only the token's SHA-256 (ASVS 6.4.1), optionally the keyed hash of a code the person must
 * type (a mailed sign-in code), and a count of wrong tries: at `maxFailures` it is dead (ASVS
 * 6.3.1). A pending second-factor sign-in, a mailed code and a passkey ceremony are challenges.
 */
export interface ChallengeKind extends SecretKind {
  /** The cookie that binds it to the browser (one per kind). */
  cookie: string
  maxFailures: number
}

/** Declares a challenge kind: `purpose` at most 16 characters, as for every secret. */
export function challengeKind(
  purpose: string,
  lifetimeSeconds: number,
  maxFailures: number,
): ChallengeKind {
  return { purpose, lifetimeSeconds, maxFailures, shape: LINK, cookie: `ch-${purpose}` }
}

/** The keyed hash of a typed code (HMAC under the session secret): a leaked table is no oracle. */
export async function codeHash(secret: string, kind: ChallengeKind, code: string) {
  return (await keyedHash(secret))(`code\n${kind.purpose}\n${code}`)
}

/**
 * Starts a challenge for a user in this browser, replacing the user's earlier one of the kind in
 * one statement (a newer code replaces the older), and sets its cookie. With `generation` (the
 * credential generation the first step read), it is stored only while that is still the account's
 * (`replaceSecretUnder`): a first step that verified the old password before a reset committed
 * leaves no pending sign-in after it (ASVS 7.4.3). A challenge not stored sets no cookie.
 */
export async function issueChallenge(
  c: Context,
  db: Database,
  kind: ChallengeKind,
  userId: number,
  options: { codeHash?: string; now?: Date; generation?: number } = {},
) {
  const now = options.now ?? new Date()
  const token = kind.shape.make()
  const row = {
    tokenHash: await sha256Hex(token),
    userId,
    purpose: kind.purpose,
    newEmail: null,
    codeHash: options.codeHash ?? null,
    createdAt: now,
    expiresAt: new Date(now.getTime() + kind.lifetimeSeconds * 1000),
  }
  if (options.generation === undefined) await replaceSecret(db, row)
  else if (!(await replaceSecretUnder(db, row, options.generation))) return
  const { name, options: cookie } = cookiePolicy(c, kind.cookie)
  setCookie(c, name, token, cookie)
}

/** A live challenge this browser holds: who it is for, and its token's hash for what follows. */
export interface HeldChallenge extends SecretHolder {
  tokenHash: string
}

function browserToken(c: Context, kind: ChallengeKind): string | undefined {
  const { name, options } = cookiePolicy(c, kind.cookie)
  const token = getCookie(c, name, options.prefix) ?? ''
  return kind.shape.fits(token) ? token : undefined
}

/**
 * The SHA-256 of the token this browser's cookie holds for `kind`, or undefined (no statement):
 * for a statement keyed by the challenge that runs beside its read (a second step's reservation).
 */
export async function heldTokenHash(c: Context, kind: ChallengeKind): Promise<string | undefined> {
  const token = browserToken(c, kind)
  return token === undefined ? undefined : sha256Hex(token)
}

/**
 * The challenge this browser's cookie names, with its user, in one statement, for showing a page;
 * undefined when the browser has none, or it is expired, spent, of another kind or out of tries.
 */
export async function peekChallenge(
  c: Context,
  db: Database,
  kind: ChallengeKind,
  now = new Date(),
): Promise<HeldChallenge | undefined> {
  const tokenHash = await heldTokenHash(c, kind)
  if (!tokenHash) return undefined
  const row = await findSecret(db, tokenHash, kind.purpose, now)
  if (!row || row.failures >= kind.maxFailures) return undefined
  return { ...row, tokenHash }
}

/**
 * One try at the challenge: its try is reserved (`failures + 1 … WHERE failures < max`) in the same
 * round trip as the read, before anything is checked, so parallel guesses can never exceed
 * `maxFailures` between them (ASVS 6.3.1). Undefined when there is no live challenge or no try left.
 * A right answer then spends it with `spendChallenge`; a wrong one has already been counted.
 */
export async function tryChallenge(
  c: Context,
  db: Database,
  kind: ChallengeKind,
  now = new Date(),
): Promise<HeldChallenge | undefined> {
  const tokenHash = await heldTokenHash(c, kind)
  if (!tokenHash) return undefined
  const [row, reserved] = await Promise.all([
    findSecret(db, tokenHash, kind.purpose, now),
    reserveChallengeTry(db, tokenHash, kind.maxFailures),
  ])
  if (!row || !reserved) return undefined
  return { ...row, tokenHash }
}

/**
 * Spends the challenge in one conditional statement (a DELETE by its hash): true only for the one
 * request whose delete removed it, so a replay or two parallel right answers get one success.
 */
export function spendChallenge(db: Database, held: HeldChallenge) {
  return deleteSecret(db, held.tokenHash)
}

/** Drops the challenge's cookie (after success, or when it is dead). */
export function forgetChallenge(c: Context, kind: ChallengeKind) {
  const { name, options } = cookiePolicy(c, kind.cookie)
  deleteCookie(c, name, options)
}

/**
 * Binds a challenge to this browser now (its cookie goes with this answer) and returns the write
 * that makes it live, for later: a request that must answer before any statement (ASVS 6.3.8: the
 * same answer whether or not the account exists) stores it after the answer, or never, when there
 * is no account. The cookie of a challenge never stored names nothing and fails like a wrong code.
 */
export function bindChallenge(c: Context, kind: ChallengeKind) {
  const token = kind.shape.make()
  const { name, options } = cookiePolicy(c, kind.cookie)
  setCookie(c, name, token, options)
  return async (db: Database, userId: number, codeHash: string, now = new Date()) =>
    replaceSecret(db, {
      tokenHash: await sha256Hex(token),
      userId,
      purpose: kind.purpose,
      newEmail: null,
      codeHash,
      createdAt: now,
      expiresAt: new Date(now.getTime() + kind.lifetimeSeconds * 1000),
    })
}

/** Whether this browser holds a cookie of the kind at all (no statement: it may be dead). */
export function holdsChallenge(c: Context, kind: ChallengeKind) {
  return browserToken(c, kind) !== undefined
}

/**
 * One try at a typed code, in one round trip: the read of the challenge and its user beside one
 * statement that takes a try, compares and, when right, spends it (see `tryChallengeCode`), so a
 * right answer is spent before anything acts on it. Undefined when the browser holds no live
 * challenge with tries left; `right` only for the one request whose statement spent it.
 */
export async function tryCode(
  c: Context,
  db: Database,
  kind: ChallengeKind,
  typedHash: string,
  now = new Date(),
): Promise<{ held?: SecretHolder; right: boolean } | undefined> {
  const tokenHash = await heldTokenHash(c, kind)
  if (!tokenHash) return undefined
  const [held, outcome] = await Promise.all([
    findSecret(db, tokenHash, kind.purpose, now),
    tryChallengeCode(db, tokenHash, typedHash, kind.maxFailures, now),
  ])
  if (outcome === 'none') return undefined
  return { held, right: outcome === 'right' && held !== undefined }
}
