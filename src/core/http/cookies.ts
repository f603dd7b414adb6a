import type { Context } from 'hono'
import type { CookieOptions } from 'hono/utils/cookie'
import { isLoopback } from './request'

// Every cookie the product sets, by the name given to `cookiePolicy` (with or without `__Host-`).
// Front mode never forwards them to the team's app (src/core/front/), so a new cookie must be named
// here: `cookiePolicy` refuses any other name, which any test that sets it will show.
const PRODUCT_COOKIES: readonly string[] = [
  'session',
  'flash',
  'device',
  'reset',
  'verify',
  'email_change',
  'code-link',
  // A provider sign-in's state, nonce and PKCE verifier, sealed (features/providers/state.ts).
  'oauth',
]
// `ch-`: core's challenges; `pk-`: passkey ceremonies (features/passkeys/challenge.ts).
const PRODUCT_COOKIE_PREFIXES: readonly string[] = ['ch-', 'pk-']

/** Whether a cookie of this name (as the browser sends it) is one of the product's own. */
export function isProductCookie(name: string): boolean {
  const bare = name.startsWith('__Host-') ? name.slice('__Host-'.length) : name
  return PRODUCT_COOKIES.includes(bare) || PRODUCT_COOKIE_PREFIXES.some((p) => bare.startsWith(p))
}

export interface CookiePolicy {
  name: string
  options: CookieOptions
}

/**
 * `__Host-` prefix, Secure, HttpOnly, SameSite=Lax, Path=/ (ASVS 3.3.1, 3.3.2, 3.3.4). Plain-http
 * loopback (wrangler dev) drops Secure and with it the prefix, which requires Secure, so the cookie
 * still works in browsers that do not treat http://localhost as secure. Without `maxAge` it is a
 * session cookie, gone when the browser closes.
 */
export function cookiePolicy(c: Context, name: string, maxAge?: number): CookiePolicy {
  if (!isProductCookie(name))
    throw new Error(`cookie ${name} is not listed in core/http/cookies.ts`)
  const url = new URL(c.req.url)
  const secure = url.protocol === 'https:' || !isLoopback(url.hostname)
  const options: CookieOptions = { path: '/', httpOnly: true, sameSite: 'Lax', secure, maxAge }
  if (secure) options.prefix = 'host'
  return { name, options }
}
