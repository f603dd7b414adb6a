import type { Context } from 'hono'
import { deleteCookie, getCookie, setCookie } from 'hono/cookie'
import { createMiddleware } from 'hono/factory'
import type { CookieOptions } from 'hono/utils/cookie'
import { endSession, loadSession, startSession, unsealSession } from './auth/sessions'
import type { AppEnv } from './env'
import { isLoopback } from './request-info'

interface CookiePolicy {
  name: string
  options: CookieOptions
}

/**
 * `__Host-` prefix, Secure, HttpOnly, SameSite=Lax, Path=/ (ASVS 3.3.1, 3.3.2, 3.3.4). Plain-http
 * loopback (wrangler dev) drops Secure and with it the prefix, which requires Secure, so the cookie
 * still works in browsers that do not treat http://localhost as secure.
 */
export function cookiePolicy(c: Context, name: string, maxAge?: number): CookiePolicy {
  const url = new URL(c.req.url)
  const secure = url.protocol === 'https:' || !isLoopback(url.hostname)
  const options: CookieOptions = { path: '/', httpOnly: true, sameSite: 'Lax', secure, maxAge }
  if (secure) options.prefix = 'host'
  return { name, options }
}

const SESSION_COOKIE = 'session'

function sessionCookie(c: Context<AppEnv>) {
  return cookiePolicy(c, SESSION_COOKIE, c.var.config.sessionAbsoluteSeconds)
}

function sealedCookie(c: Context<AppEnv>): string | undefined {
  const { name, options } = sessionCookie(c)
  return getCookie(c, name, options.prefix)
}

/**
 * Puts the signed-in user, if any, in `c.var.auth`. No cookie: nothing at all (no database call, no
 * Set-Cookie). A cookie that names no live session is expired. Database errors propagate (503).
 */
export const withSession = createMiddleware<AppEnv>(async (c, next) => {
  c.set('auth', null)
  const sealed = sealedCookie(c)
  if (sealed !== undefined) {
    const session = await loadSession(c.var.db, c.var.config, sealed)
    c.set('auth', session)
    if (!session) deleteCookie(c, sessionCookie(c).name, sessionCookie(c).options)
  }
  await next()
})

/** Where this request comes from, in words, for the session list (Cloudflare's `cf` when present). */
function sessionOrigin(c: Context<AppEnv>) {
  const cf = (c.req.raw as { cf?: Record<string, unknown> }).cf
  const place = [cf?.['city'], cf?.['country']].filter((p) => typeof p === 'string' && p)
  return { userAgent: c.req.header('User-Agent') ?? '', location: place.join(', ') }
}

/**
 * Signs the request in as `user` under a fresh session id (ASVS 7.2.4); a session the request
 * already had is ended first so its cookie cannot be replayed.
 */
export async function signIn(
  c: Context<AppEnv>,
  user: { id: number; username: string; email: string; memberSince: Date },
) {
  const { db, config } = c.var
  const previous = c.var.auth?.idHash ?? (await previousSession(c))?.idHash
  const [started] = await Promise.all([
    startSession(db, config, user.id, sessionOrigin(c)),
    previous ? endSession(db, previous) : undefined,
  ])
  const { name, options } = sessionCookie(c)
  setCookie(c, name, started.sealed, options)
  c.set('auth', {
    idHash: started.idHash,
    userId: user.id,
    username: user.username,
    email: user.email,
    memberSince: user.memberSince,
    createdAt: new Date(),
  })
}

async function previousSession(c: Context<AppEnv>) {
  const sealed = sealedCookie(c)
  return sealed === undefined ? null : unsealSession(c.var.config, sealed)
}

/**
 * Ends the session the cookie names, on the server (ASVS 7.4.1), and expires the cookie with the
 * name, prefix and path it was set with. One statement: the id is unsealed, not loaded.
 */
export async function signOut(c: Context<AppEnv>): Promise<number | undefined> {
  const sealed = c.var.auth ? null : await previousSession(c)
  const idHash = c.var.auth?.idHash ?? sealed?.idHash
  if (idHash) await endSession(c.var.db, idHash)
  return dropSessionCookie(c) ?? sealed?.userId
}

/**
 * Expires the session cookie and forgets the signed-in user, without a database call: for when the
 * session row is already gone (account deletion removed it in its transaction).
 */
export function dropSessionCookie(c: Context<AppEnv>): number | undefined {
  const { name, options } = sessionCookie(c)
  if (sealedCookie(c) !== undefined) deleteCookie(c, name, options)
  const userId = c.var.auth?.userId
  c.set('auth', null)
  return userId
}

/** Replaces the current session with a fresh id for the same user (after a password change). */
export async function rotateSession(c: Context<AppEnv>) {
  const auth = c.var.auth
  if (!auth) return
  await signIn(c, { ...auth, id: auth.userId })
}
