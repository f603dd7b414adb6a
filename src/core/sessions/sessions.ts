import { encodeBase64urlNoPadding } from '@oslojs/encoding'
import { decrypt, encrypt } from 'hono-sessions'
import type { Config } from '../config'
import type { Database } from '../db/client'
import {
  deleteSession,
  deleteUserSessions,
  findLiveSession,
  findLiveSessionWith,
  insertSession,
  type SessionRider,
  type SessionRow,
  touchSession,
  trimUserSessions,
} from '../db/sessions'
import { sha256Hex } from '../security/digest'

/** The user a session is started for: what a signed-in page shows without another read. */
export interface SessionUser {
  id: number
  username: string
  email: string
  /** When the user signed up, for the account page. */
  memberSince: Date
  /** Whether the owner has confirmed `email`. */
  emailVerified: boolean
  /** The user's credential generation as read when the sign-in began (see users.credentialGeneration). */
  generation: number
  /**
   * The user's session rows as counted by the sign-in's user read, when it read them: below the cap
   * the trim is skipped. Two sign-ins racing at the cap may leave one extra row, which the next
   * sign-in trims.
   */
  sessionCount?: number
  /** Whether the account has a second factor. */
  twoFactor: boolean
  /** Whether the account has a password (a provider's new account has none). */
  hasPassword: boolean
  /**
   * When the person signed in, for a session that replaces another of theirs (a rotation after a
   * credential change): default now. The replacement keeps it, so a rotation neither extends the
   * absolute lifetime (ASVS 7.3.2) nor makes the sign-in look recent to sudo mode (reauth.ts).
   */
  signedInAt?: Date
}

/** A signed-in request's session: who it is and the row's id hash (never the id itself). */
export interface LiveSession {
  idHash: string
  userId: number
  username: string
  email: string
  memberSince: Date
  createdAt: Date
  /** Whether the owner has confirmed `email` (read with the session, no extra statement). */
  emailVerified: boolean
  generation: number
  /** Whether the account has a second factor (read with the session, no extra statement). */
  twoFactor: boolean
  /**
   * Whether the account has a password (read with the session, no extra statement): sudo-mode forms
   * ask for it only then (core/signin/reauth.ts).
   */
  hasPassword: boolean
  /** When the session ends unless used again (idle expiry, capped by the absolute lifetime). */
  expiresAt: Date
  /** Whether the user is an admin; set only by a session read (a fresh session says no). */
  admin?: boolean
}

function liveSession(
  idHash: string,
  user: SessionUser,
  createdAt: Date,
  expiresAt: Date,
): LiveSession {
  const { id: userId, username, email, memberSince, emailVerified, generation } = user
  const { twoFactor, hasPassword } = user
  return {
    idHash,
    userId,
    username,
    email,
    memberSince,
    createdAt,
    emailVerified,
    generation,
    twoFactor,
    hasPassword,
    expiresAt,
  }
}

/** Where a session was started, for the account's session list (ASVS 7.5.2). */
export interface SessionOrigin {
  userAgent: string
  location: string
}

/** Live sessions one user may hold; starting another ends the oldest (documented in README). */
export const MAX_SESSIONS_PER_USER = 20
// Pilcrow's session guide: refresh a session's expiry and last-seen time about once an hour, not on
// every request, so a signed-in page costs one read.
const TOUCH_AFTER_MS = 3600_000

/** Hex SHA-256 of a session id: the table never holds a token that could be replayed as a cookie. */
export const hashSessionId = sha256Hex

function nextExpiry(config: Config, createdAt: Date, now: Date): Date {
  const idle = now.getTime() + config.sessionIdleSeconds * 1000
  const absolute = createdAt.getTime() + config.sessionAbsoluteSeconds * 1000
  return new Date(Math.min(idle, absolute))
}

/**
 * Loads the session a sealed cookie names. A cookie that fails the seal's HMAC names nothing and
 * costs no database call; a live session costs one read, plus an hourly write that slides the idle
 * expiry (ASVS 7.3.1) within the absolute lifetime (ASVS 7.3.2). Database errors propagate: an
 * outage must answer 503, never look like "signed out".
 */
export async function loadSession(
  db: Database,
  config: Config,
  sealed: string,
  now = new Date(),
): Promise<LiveSession | null> {
  const idHash = (await unsealSession(config, sealed))?.idHash
  if (!idHash) return null
  const row = await findLiveSession(db, idHash, now, config.sessionAbsoluteSeconds)
  return row ? liveFromRow(db, config, idHash, row, now) : null
}

/**
 * `loadSession` with the rider's rows of the same user, read in the session's own statement (see
 * `SessionRider`): for a page that shows a few of the user's rows and must stay at one statement.
 */
export async function loadSessionWith<T>(
  db: Database,
  config: Config,
  sealed: string,
  rider: SessionRider<T>,
  now = new Date(),
): Promise<{ session: LiveSession; rides: T[] } | null> {
  const idHash = (await unsealSession(config, sealed))?.idHash
  if (!idHash) return null
  const found = await findLiveSessionWith(db, idHash, now, config.sessionAbsoluteSeconds, rider)
  if (!found) return null
  return { session: await liveFromRow(db, config, idHash, found.row, now), rides: found.rides }
}

async function liveFromRow(
  db: Database,
  config: Config,
  idHash: string,
  row: SessionRow,
  now: Date,
): Promise<LiveSession> {
  const expiresAt = nextExpiry(config, row.createdAt, now)
  const stale = now.getTime() - row.lastSeenAt.getTime() >= TOUCH_AFTER_MS
  const idleHalfGone =
    row.expiresAt.getTime() - now.getTime() < (config.sessionIdleSeconds * 1000) / 2
  const touch = (stale || idleHalfGone) && expiresAt.getTime() - row.expiresAt.getTime() >= 1000
  if (touch) await touchSession(db, idHash, expiresAt, now)
  const user = { ...row, id: row.userId, emailVerified: row.emailVerifiedAt !== null }
  const session = liveSession(idHash, user, row.createdAt, touch ? expiresAt : row.expiresAt)
  return { ...session, admin: row.admin }
}

/**
 * Starts a session for `user` under a fresh 256-bit id from the CSPRNG (ASVS 7.2.3, 7.2.4) and
 * returns the sealed value for the cookie. The user's oldest sessions beyond the cap end in the
 * same round trip. Only the sign-in door (core/signin/door.tsx) and a session rotation call this,
 * through core/sessions/cookie.ts.
 */
export async function startSession(
  db: Database,
  config: Config,
  user: SessionUser,
  origin: SessionOrigin,
  now = new Date(),
): Promise<{ sealed: string; session: LiveSession }> {
  const id = encodeBase64urlNoPadding(crypto.getRandomValues(new Uint8Array(32)))
  const idHash = await hashSessionId(id)
  const userId = user.id
  const createdAt = user.signedInAt ?? now
  const expiresAt = nextExpiry(config, createdAt, now)
  await Promise.all([
    insertSession(db, {
      idHash,
      userId,
      createdAt,
      expiresAt,
      userAgent: origin.userAgent.slice(0, 255),
      location: origin.location.slice(0, 100),
      generation: user.generation,
    }),
    (user.sessionCount ?? MAX_SESSIONS_PER_USER) >= MAX_SESSIONS_PER_USER - 1
      ? trimUserSessions(db, userId, MAX_SESSIONS_PER_USER - 1, idHash)
      : undefined,
  ])
  // The seal (Iron: AES-256-CBC and HMAC-SHA-256) keeps both the id and the user id unreadable and
  // unforgeable; the database still decides whether the session lives.
  const sealed = await encrypt(config.sessionSecret, { i: id, u: userId })
  return { sealed, session: liveSession(idHash, user, createdAt, expiresAt) }
}

/** Ends one session on the server, so a copied cookie stops working (ASVS 7.4.1). */
export async function endSession(db: Database, idHash: string): Promise<void> {
  await deleteSession(db, idHash)
}

/**
 * Ends every session of a user (deletion, password reset: ASVS 7.4.2, 7.4.3), or every one but the
 * current (`exceptIdHash`: "sign out everywhere else"). Returns how many ended.
 */
export function endAllSessions(db: Database, userId: number, exceptIdHash?: string) {
  return deleteUserSessions(db, userId, exceptIdHash)
}

// Unsealing (Iron: key derivation, AES, HMAC) is the costliest CPU step of a signed-in request and
// its answer never changes for a given cookie and secret: remember recent answers in the isolate.
const unsealed = new Map<string, SealedSession | null>()
const UNSEALED_MAX = 1000

/** What a session cookie holds under its seal: the id, and the user it was started for. */
interface SealedSession {
  idHash: string
  /** Absent in cookies sealed before the user id was added to them. */
  userId?: number
}

async function unseal(secret: string, sealed: string): Promise<SealedSession | null> {
  const payload: unknown = await decrypt(secret, sealed).catch(() => undefined)
  if (typeof payload === 'string') return { idHash: await hashSessionId(payload) }
  const { i, u } = (payload ?? {}) as { i?: unknown; u?: unknown }
  if (typeof i !== 'string' || typeof u !== 'number') return null
  return { idHash: await hashSessionId(i), userId: u }
}

/**
 * The session a sealed cookie names, without a database call; null when it fails the seal. The
 * user id inside lets a logout's audit line name the user at the cost of no read.
 */
export async function unsealSession(config: Config, sealed: string): Promise<SealedSession | null> {
  const key = `${config.sessionSecret}\n${sealed}`
  const known = unsealed.get(key)
  if (known !== undefined) return known
  const session = await unseal(config.sessionSecret, sealed)
  if (unsealed.size >= UNSEALED_MAX) unsealed.delete(unsealed.keys().next().value!)
  unsealed.set(key, session)
  return session
}
