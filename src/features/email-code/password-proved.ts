import type { Context } from 'hono'
import { deleteCookie, getCookie, setCookie } from 'hono/cookie'
import { constantTimeEqual } from '@oslojs/crypto/subtle'
import { cookiePolicy } from '../../core/http/cookies'
import { keyedHash } from '../../core/security/throttle'
import { signInCode } from './code'

// A right password just before the code: past 100 failures in a row, a password from an unknown
// browser also needs a mailed code (password-sign-in, NIST SP 800-63B-4 3.2.2). That person then
// proved both, so the claim of an unconfirmed address (routes.tsx `claimUnconfirmed`) must not
// take the password they just proved. Signed, bound to this browser and account, and as
// short-lived as the code; a `ch-` name, so front mode never forwards it.

const COOKIE = `${signInCode.cookie}-pw`
const TOKEN = /^(\d{1,20})\.(\d{1,12})\.([0-9a-f]{64})$/
const encoder = new TextEncoder()

async function signature(secret: string, body: string) {
  return (await keyedHash(secret))(`password-proved\n${body}`)
}

/** After the right password, as the mailed code is asked for. */
export async function rememberPasswordProved(c: Context, secret: string, userId: number) {
  const expires = Math.floor(Date.now() / 1000) + signInCode.lifetimeSeconds
  const body = `${userId}.${expires}`
  const { name, options } = cookiePolicy(c, COOKIE, signInCode.lifetimeSeconds)
  setCookie(c, name, `${body}.${await signature(secret, body)}`, options)
}

/** Whether this browser proved the account's password for the code it now enters; spent either way. */
export async function takePasswordProved(c: Context, secret: string, userId: number) {
  const { name, options } = cookiePolicy(c, COOKIE)
  const raw = getCookie(c, name, options.prefix)
  if (raw === undefined) return false
  deleteCookie(c, name, options)
  const match = TOKEN.exec(raw)
  if (!match || Number(match[1]) !== userId || Number(match[2]) * 1000 <= Date.now()) return false
  const expected = await signature(secret, `${match[1]}.${match[2]}`)
  return constantTimeEqual(encoder.encode(match[3]!), encoder.encode(expected))
}
