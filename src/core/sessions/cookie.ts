import type { Context } from 'hono'
import { deleteCookie, getCookie, setCookie } from 'hono/cookie'
import { createMiddleware } from 'hono/factory'
import type { AppEnv } from '../env'
import { cookiePolicy } from '../http/cookies'
import type { SessionRider } from '../db/sessions'
import { requestOrigin } from '../http/request'
import type { Database } from '../db/client'
import {
  endSession,
  loadSession,
  MAX_SESSIONS_PER_USER,
  loadSessionWith,
  startSession,
  unsealSession,
  type LiveSession,
  type SessionUser,
} from './sessions'

// The session cookie: the four session operations (sessions.ts) tied to one request's cookie.

export const SESSION_COOKIE = 'session'

function sessionCookie<E extends AppEnv>(c: Context<E>) {
  return cookiePolicy(c, SESSION_COOKIE, c.var.config.sessionAbsoluteSeconds)
}

function sealedCookie<E extends AppEnv>(c: Context<E>): string | undefined {
  const { name, options } = sessionCookie(c)
  return getCookie(c, name, options.prefix)
}

/**
 * Puts the signed-in user, if any, in `c.var.auth`. No cookie: nothing at all (no database call, no
 * Set-Cookie). A cookie that names no live session is expired. Database errors propagate (503).
 */
export const withSession = createMiddleware<AppEnv>(async function withSession(c, next) {
  await readSession(c)
  await next()
})

/** What `withSession` does, for the signed-in guard: sets and returns `c.var.auth`. */
export async function readSession<E extends AppEnv>(c: Context<E>): Promise<LiveSession | null> {
  return (await readSessionWith(c, undefined))?.session ?? null
}

/**
 * `readSession`, bringing the rider's rows of the signed-in user in the same statement (see
 * `SessionRider`); without a rider, the plain session read.
 */
export async function readSessionWith<E extends AppEnv, T>(
  c: Context<E>,
  rider: SessionRider<T> | undefined,
): Promise<{ session: LiveSession; rides: T[] } | null> {
  c.set('auth', null)
  const sealed = sealedCookie(c)
  if (sealed === undefined) return null
  const { db, config } = c.var
  const found = rider
    ? await loadSessionWith(db, config, sealed, rider)
    : await loadSession(db, config, sealed).then((session) => session && { session, rides: [] })
  c.set('auth', found?.session ?? null)
  if (!found) deleteCookie(c, sessionCookie(c).name, sessionCookie(c).options)
  return found
}

/**
 * Starts a session for `user` under a fresh id (ASVS 7.2.4) and sets its cookie; a session the
 * request already had is ended in the same round trip, so its cookie cannot be replayed. Called by
 * the sign-in door (after a successful sign-in) and by `rotateSession`, nothing else.
 *
 * `proof`, from the door's second half, is the second step's single-use statement: it runs beside
 * the session's insert, and only when it wins does the cookie (the only bearer of the new id, which
 * is stored hashed) leave this request; when it loses, the row nobody can present is deleted again
 * and false is returned. Where the insert would also end another session (the user at the cap, or
 * this browser's earlier session), the proof runs first instead.
 */
export async function issueSessionCookie<E extends AppEnv>(
  c: Context<E>,
  user: SessionUser,
  proof?: () => Promise<boolean>,
): Promise<boolean> {
  const { db, config } = c.var
  const previous = c.var.auth?.idHash ?? (await previousSession(c))?.idHash
  const atCap = (user.sessionCount ?? MAX_SESSIONS_PER_USER) >= MAX_SESSIONS_PER_USER - 1
  if (proof && (previous || atCap)) {
    if (!(await proof())) return false
    proof = undefined
  }
  const starting = startSession(db, config, user, requestOrigin(c))
  const [won, started] = await Promise.all([
    proof ? proof().catch((err: unknown) => dropStarted(db, starting, err)) : true,
    starting,
    previous ? endSession(db, previous) : undefined,
  ])
  if (!won) {
    await endSession(db, started.session.idHash)
    return false
  }
  const { name, options } = sessionCookie(c)
  setCookie(c, name, started.sealed, options)
  c.set('auth', started.session)
  return true
}

/** A proof that failed (a database error): the row started beside it goes, then the error goes on. */
async function dropStarted(db: Database, starting: ReturnType<typeof startSession>, err: unknown) {
  await starting.then((s) => endSession(db, s.session.idHash)).catch(() => undefined)
  throw err
}

async function previousSession<E extends AppEnv>(c: Context<E>) {
  const sealed = sealedCookie(c)
  return sealed === undefined ? null : unsealSession(c.var.config, sealed)
}

/**
 * Ends the session the cookie names, on the server (ASVS 7.4.1), and expires the cookie with the
 * name, prefix and path it was set with. One statement: the id is unsealed, not loaded. Returns the
 * user it belonged to, for the audit line.
 */
export async function signOut<E extends AppEnv>(c: Context<E>): Promise<number | undefined> {
  const sealed = c.var.auth ? null : await previousSession(c)
  const idHash = c.var.auth?.idHash ?? sealed?.idHash
  if (idHash) await endSession(c.var.db, idHash)
  return dropSessionCookie(c) ?? sealed?.userId
}

/**
 * Expires the session cookie and forgets the signed-in user, without a database call: for when the
 * session row is already gone (account deletion removed it in its transaction).
 */
export function dropSessionCookie<E extends AppEnv>(c: Context<E>): number | undefined {
  const { name, options } = sessionCookie(c)
  if (sealedCookie(c) !== undefined) deleteCookie(c, name, options)
  const userId = c.var.auth?.userId
  c.set('auth', null)
  return userId
}

/**
 * Replaces the current session with a fresh id for the same user (after a credential change),
 * signed in when the replaced one was: a chain of changes cannot keep a sign-in "recent".
 */
export async function rotateSession<E extends AppEnv>(c: Context<E>, auth: LiveSession) {
  await issueSessionCookie(c, { ...auth, id: auth.userId, signedInAt: auth.createdAt })
}
