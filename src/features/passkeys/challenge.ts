import type { Context } from 'hono'
import { deleteCookie, getCookie, setCookie } from 'hono/cookie'
import { decodeBase64urlIgnorePadding, encodeBase64urlNoPadding } from '@oslojs/encoding'
import type { AppEnv } from '../../core/env'
import { cookiePolicy } from '../../core/http/cookies'
import { sha256Hex } from '../../core/security/digest'
import { keyedHash } from '../../core/security/throttle'

// WebAuthn challenges (WebAuthn 13.4.3: random, at least 16 bytes, single use, short-lived).
// The browser holds 160 random bits and the time of issue in a `__Host-` session cookie, one per
// ceremony; the challenge is their HMAC under the session secret with what the ceremony is bound
// to (the user adding a key, the pending sign-in), so it is unpredictable, bound to this browser
// and to its purpose, and lives 5 minutes. Issuing costs no statement (the sign-in page stays at
// 0 and the account page at 1, and a sign-in with a discoverable passkey has no user yet, which
// core's challenges need); spending is one INSERT IGNORE of the cookie's hash (queries.ts).

export type Ceremony = 'signin' | 'add' | '2fa' | 'sudo'
const LIFETIME_MS = 5 * 60 * 1000
const VALUE = /^[A-Za-z0-9_-]{27}\.[0-9]{13}$/

const cookieOf = (c: Context, ceremony: Ceremony) => cookiePolicy(c, `pk-${ceremony}`)

async function derive<E extends AppEnv>(
  c: Context<E>,
  ceremony: Ceremony,
  boundTo: string,
  value: string,
) {
  const hex = await (
    await keyedHash(c.var.config.sessionSecret)
  )(`webauthn\n${ceremony}\n${boundTo}\n${value}`)
  return encodeBase64urlNoPadding(Uint8Array.from(hex.match(/../g)!, (h) => parseInt(h, 16)))
}

/** Starts a ceremony in this browser and returns its challenge (base64url) for the page. */
export async function issueCeremony<E extends AppEnv>(
  c: Context<E>,
  ceremony: Ceremony,
  boundTo: string,
) {
  const token = encodeBase64urlNoPadding(crypto.getRandomValues(new Uint8Array(20)))
  const value = `${token}.${Date.now()}`
  const { name, options } = cookieOf(c, ceremony)
  setCookie(c, name, value, options)
  return derive(c, ceremony, boundTo, value)
}

/** The ceremony this browser holds, unexpired: its challenge, and what spending it stores. */
export interface HeldCeremony {
  challenge: Uint8Array
  tokenHash: string
  expiresAt: Date
}

export async function heldCeremony<E extends AppEnv>(
  c: Context<E>,
  ceremony: Ceremony,
  boundTo: string,
  now = Date.now(),
): Promise<HeldCeremony | undefined> {
  const { name, options } = cookieOf(c, ceremony)
  const value = getCookie(c, name, options.prefix) ?? ''
  if (!VALUE.test(value)) return undefined
  const issued = Number(value.slice(28))
  if (!(issued <= now + 1000 && now - issued < LIFETIME_MS)) return undefined
  return {
    challenge: decodeBase64urlIgnorePadding(await derive(c, ceremony, boundTo, value)),
    tokenHash: await sha256Hex(`pk\n${value}`),
    expiresAt: new Date(issued + LIFETIME_MS),
  }
}

export function forgetCeremony(c: Context, ceremony: Ceremony) {
  const { name, options } = cookieOf(c, ceremony)
  deleteCookie(c, name, options)
}
