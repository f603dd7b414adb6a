import type { Context } from 'hono'
import { deleteCookie, getCookie, setCookie } from 'hono/cookie'
import { fitsShape, type SecretKind } from '../security/secrets'
import { cookiePolicy } from './cookies'
import { internalPath } from './mount'

// A mailed link's GET only moves its token into a short-lived HttpOnly cookie and redirects to a
// token-free URL; that page shows a form and the change is a POST. Mail scanners that prefetch links
// change nothing, and the token never reaches history, logs or a Referer (OWASP Forgot Password
// Cheat Sheet).

/** Headers for every page that handles a link's token: no Referer, never cached. */
export function linkPageHeaders(c: Context) {
  c.header('Referrer-Policy', 'no-referrer')
  c.header('Cache-Control', 'no-store')
}

/** GET of a mailed link: keep the token of `kind` in the cookie `cookie`, then show `path`. */
export function landLink(c: Context, kind: SecretKind, cookie: string, path: string) {
  linkPageHeaders(c)
  const token = c.req.param('token')
  // A session cookie (no Max-Age): an abandoned link on a shared computer ends with the browser.
  const { name, options } = cookiePolicy(c, cookie)
  if (fitsShape(kind, token)) setCookie(c, name, token, options)
  else deleteCookie(c, name, options)
  return c.redirect(internalPath(c, path), 303)
}

/** The token a link left in its cookie, or '' (which fits no shape). */
export function linkToken(c: Context, cookie: string): string {
  const { name, options } = cookiePolicy(c, cookie)
  return getCookie(c, name, options.prefix) ?? ''
}

export function forgetLinkToken(c: Context, cookie: string) {
  const { name, options } = cookiePolicy(c, cookie)
  deleteCookie(c, name, options)
}
