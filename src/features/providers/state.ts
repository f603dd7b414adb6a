import type { Context } from 'hono'
import { deleteCookie, getCookie, setCookie } from 'hono/cookie'
import { decrypt, encrypt } from 'hono-sessions'
import type { AppEnv } from '../../core/env'
import { cookiePolicy } from '../../core/http/cookies'
import { safeNext } from '../../core/http/next'
import type { ProviderId } from './config'

// The one round trip to a provider: its `state`, OIDC `nonce` and PKCE verifier (RFC 9700 2.1,
// RFC 7636, OIDC Core 3.1.2.1) live in the browser that started it, in a `__Host-` session cookie
// sealed (Iron: encrypted and authenticated) under SESSION_SECRET, so nothing is stored before the
// provider answers and the sign-in page stays at 0 statements. The callback clears it, whatever the
// outcome, and refuses one older than its lifetime. A connect carries the session it was confirmed
// in, so it can only finish in that session.

const COOKIE = 'oauth'
const LIFETIME_MS = 10 * 60 * 1000
const PURPOSE = 'oauth-state'

export interface HeldState {
  provider: ProviderId
  state: string
  nonce: string
  verifier: string
  /** Where the sign-in goes after the door (a checked same-origin path). */
  next?: string
  /** `in`: sign in (or up); `link`: connect to the signed-in account of session `sid`. */
  mode: 'in' | 'link'
  userId?: number
  sid?: string
  issuedAt: number
}

export async function sealState<E extends AppEnv>(c: Context<E>, held: HeldState) {
  const sealed = await encrypt(c.var.config.sessionSecret, { p: PURPOSE, ...held })
  const { name, options } = cookiePolicy(c, COOKIE)
  setCookie(c, name, sealed, options)
}

/** The state this browser holds, unexpired and of this provider, or undefined. */
export async function heldState<E extends AppEnv>(
  c: Context<E>,
  provider: ProviderId,
  now = Date.now(),
): Promise<HeldState | undefined> {
  const { name, options } = cookiePolicy(c, COOKIE)
  const sealed = getCookie(c, name, options.prefix)
  if (!sealed || sealed.length > 2048) return undefined
  const opened = (await decrypt(c.var.config.sessionSecret, sealed).catch(() => undefined)) as
    (HeldState & { p?: string }) | undefined
  if (!opened || opened.p !== PURPOSE || opened.provider !== provider) return undefined
  const age = now - Number(opened.issuedAt)
  if (!(age >= -1000 && age < LIFETIME_MS)) return undefined
  return { ...opened, next: safeNext(opened.next) }
}

export function forgetState(c: Context) {
  const { name, options } = cookiePolicy(c, COOKIE)
  deleteCookie(c, name, options)
}

/** Whether the browser sent a state cookie at all (an expired one reads differently from none). */
export function sentState(c: Context) {
  const { name, options } = cookiePolicy(c, COOKIE)
  return getCookie(c, name, options.prefix) !== undefined
}
