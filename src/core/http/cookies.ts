import type { Context } from 'hono'
import type { CookieOptions } from 'hono/utils/cookie'
import { isLoopback } from './request'

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
  const url = new URL(c.req.url)
  const secure = url.protocol === 'https:' || !isLoopback(url.hostname)
  const options: CookieOptions = { path: '/', httpOnly: true, sameSite: 'Lax', secure, maxAge }
  if (secure) options.prefix = 'host'
  return { name, options }
}
