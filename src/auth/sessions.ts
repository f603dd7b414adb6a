import type { Context } from 'hono'
import { deleteCookie, getCookie } from 'hono/cookie'
import { createMiddleware } from 'hono/factory'
import type { CookieOptions } from 'hono/utils/cookie'
import { decrypt, sessionMiddleware, type Session } from 'hono-sessions'
import { deleteSession } from '../db/sessions'
import type { AppEnv } from '../env'
import { DatabaseSessionStore, hashSessionId } from './session-store'

export interface AuthSession {
  userId: number
  username: string
}

declare module 'hono' {
  interface ContextVariableMap {
    session: Session
    session_key_rotation: boolean
  }
}

interface CookiePolicy {
  name: string
  options: CookieOptions
}

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]'])

/**
 * `__Host-` prefix, Secure, HttpOnly, SameSite=Lax, Path=/ (ASVS 3.3.1, 3.3.2, 3.3.4). Plain-http
 * loopback (wrangler dev) drops Secure and with it the prefix, which requires Secure, so the cookie
 * still works in browsers that do not treat http://localhost as secure.
 */
export function cookiePolicy(c: Context, name: string, maxAge?: number): CookiePolicy {
  const url = new URL(c.req.url)
  const secure = url.protocol === 'https:' || !LOOPBACK.has(url.hostname)
  const options: CookieOptions = { path: '/', httpOnly: true, sameSite: 'Lax', secure, maxAge }
  if (secure) options.prefix = 'host'
  return { name, options }
}

const SESSION_COOKIE = 'session'

function sessionCookie(c: Context<AppEnv>) {
  return cookiePolicy(c, SESSION_COOKIE, c.var.config.sessionAbsoluteSeconds)
}

function fullName(policy: CookiePolicy) {
  return policy.options.prefix === 'host' ? `__Host-${policy.name}` : policy.name
}

/**
 * hono-sessions re-seals and sets the cookie on every request it handles, and twice on rotation.
 * Keep only what the browser needs: the final cookie after a rotation, nothing for an unchanged
 * session, and an expired one where a stale cookie was sent.
 */
function settleCookies(
  c: Context<AppEnv>,
  policy: CookiePolicy,
  keepLast: boolean,
  clear: boolean,
) {
  const prefix = `${fullName(policy)}=`
  const all = c.res.headers.getSetCookie()
  const ours = all.filter((h) => h.startsWith(prefix))
  if (ours.length === 0 && !clear) return
  c.res.headers.delete('Set-Cookie')
  for (const h of all) if (!h.startsWith(prefix)) c.res.headers.append('Set-Cookie', h)
  if (keepLast && ours.length > 0) c.res.headers.append('Set-Cookie', ours[ours.length - 1]!)
  else if (clear) deleteCookie(c, policy.name, policy.options)
}

/**
 * Loads the signed-in user into `c.var.auth`. Without a session cookie it does nothing at all (no
 * database call, no cookie), unless `always` is set for the one route that may start a session.
 * A live session costs one read; the idle expiry is written back only when it must move.
 */
export function sessions(always = false) {
  return createMiddleware<AppEnv>(async (c, next) => {
    const policy = sessionCookie(c)
    const hadCookie = getCookie(c, policy.name, policy.options.prefix) !== undefined
    c.set('auth', null)
    if (!hadCookie && !always) return next()

    const store = new DatabaseSessionStore(c.var.db, c.var.config)
    const middleware = sessionMiddleware({
      store,
      encryptionKey: c.var.config.sessionSecret,
      expireAfterSeconds: c.var.config.sessionIdleSeconds,
      autoExtendExpiration: false,
      sessionCookieName: policy.name,
      cookieOptions: policy.options,
    })
    await middleware(c, async () => {
      const row = store.loaded
      if (row) {
        c.set('auth', { userId: row.userId, username: row.username })
        if (store.shouldSlide(row)) c.get('session').touch()
      }
      await next()
    })
    const signedIn = c.var.session?.get('userId') != null
    const rotated = signedIn && c.get('session_key_rotation') === true
    settleCookies(c, policy, rotated, hadCookie && !signedIn)
  })
}

/**
 * Marks the request's session as signed in as `user` under a fresh id: hono-sessions deletes the old
 * session and issues a new id when the handler returns (ASVS 7.2.4).
 */
export function startSession(c: Context<AppEnv>, user: AuthSession) {
  c.get('session').set('userId', user.userId)
  c.set('session_key_rotation', true)
  c.set('auth', user)
}

/**
 * Ends the session named by the cookie on the server and expires the cookie with the same name,
 * prefix and path it was set with (ASVS 7.4.1). One statement: the id is unsealed here rather than
 * loaded through hono-sessions, which would read the row first.
 */
export async function endSession(c: Context<AppEnv>) {
  const policy = sessionCookie(c)
  const sealed = getCookie(c, policy.name, policy.options.prefix)
  if (sealed === undefined) return
  const sessionId = await decrypt(c.var.config.sessionSecret, sealed).catch(() => undefined)
  // A cookie that fails the seal names no session of ours; a database failure propagates, as the
  // session was not ended.
  if (typeof sessionId === 'string') await deleteSession(c.var.db, await hashSessionId(sessionId))
  deleteCookie(c, policy.name, policy.options)
}
