import type { Context } from 'hono'
import { getCookie, setCookie } from 'hono/cookie'
import { encodeBase32LowerCaseNoPadding } from '@oslojs/encoding'
import { constantTimeEqual } from '@oslojs/crypto/subtle'
import { cookiePolicy } from '../http/cookies'
import { keyedHash } from './throttle'

// OWASP "Slow down online guessing attacks with device cookies": a browser that has signed in to
// an account carries a signed token saying so. Attempts that present one are throttled per device
// and are exempt from the account-wide delay, so the owner on a known device signs in whatever an
// attacker does elsewhere (ASVS 6.3.1, NIST SP 800-63B-4 3.2.2: slowed, never locked). It proves a
// past sign-in, not a session, so it outlives signing out; it names no account in the clear.

const COOKIE = 'device'
const LIFETIME_SECONDS = 180 * 24 * 3600
// A shared browser remembers a few accounts; the newest sign-in goes first, the oldest drops off.
const ACCOUNTS_PER_BROWSER = 5
const TOKEN = /^[a-z2-7]{26}\.\d{1,12}\.[0-9a-f]{32}\.[0-9a-f]{64}$/

const encoder = new TextEncoder()

async function accountTag(secret: string, email: string) {
  return (await (await keyedHash(secret))(`device-account\n${email}`)).slice(0, 32)
}

async function signature(secret: string, body: string) {
  return (await keyedHash(secret))(`device\n${body}`)
}

function tokens(c: Context): string[] {
  const { name, options } = cookiePolicy(c, COOKIE)
  const raw = getCookie(c, name, options.prefix) ?? ''
  return raw
    .split('~')
    .filter((t) => TOKEN.test(t))
    .slice(0, ACCOUNTS_PER_BROWSER)
}

/**
 * The device id this browser proves for the account with this (normalised) email, or undefined:
 * no cookie, a forged or expired token, or a token of another account. No database call.
 */
export async function knownDevice(c: Context, secret: string, email: string, now = Date.now()) {
  const held = tokens(c)
  if (held.length === 0) return undefined
  const tag = await accountTag(secret, email)
  for (const token of held) {
    const [id, expires, tokenTag, mac] = token.split('.') as [string, string, string, string]
    if (tokenTag !== tag || Number(expires) * 1000 <= now) continue
    const expected = await signature(secret, `${id}.${expires}.${tokenTag}`)
    if (constantTimeEqual(encoder.encode(mac), encoder.encode(expected))) return id
  }
  return undefined
}

/** After a sign-in: remember this browser for the account, keeping its device id if it had one. */
export async function rememberDevice(c: Context, secret: string, email: string, now = Date.now()) {
  const tag = await accountTag(secret, email)
  const id =
    (await knownDevice(c, secret, email, now)) ??
    encodeBase32LowerCaseNoPadding(crypto.getRandomValues(new Uint8Array(16)))
  const expires = String(Math.floor(now / 1000) + LIFETIME_SECONDS)
  const body = `${id}.${expires}.${tag}`
  const token = `${body}.${await signature(secret, body)}`
  const others = tokens(c).filter((t) => t.split('.')[2] !== tag)
  const value = [token, ...others].slice(0, ACCOUNTS_PER_BROWSER).join('~')
  const { name, options } = cookiePolicy(c, COOKIE, LIFETIME_SECONDS)
  setCookie(c, name, value, options)
}
