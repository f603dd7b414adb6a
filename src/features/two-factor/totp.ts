import { encodeBase32LowerCaseNoPadding } from '@oslojs/encoding'
import { verifyHOTP } from '@oslojs/otp'

// RFC 6238 as every authenticator app reads it: HMAC-SHA-1, 6 digits, 30-second steps, through
// `@oslojs/otp`; the test checks it against RFC 6238's vectors through its own implementation.
export const PERIOD_SECONDS = 30
const DIGITS = 6
// RFC 4226 section 4 recommends 160-bit keys.
const KEY_BYTES = 20

/** A new authenticator-app key: 160 bits from the CSPRNG. */
export function newTotpKey(): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(KEY_BYTES))
}

/** The time step `now` falls in. */
export function stepAt(now: Date): number {
  return Math.floor(now.getTime() / 1000 / PERIOD_SECONDS)
}

/**
 * The step a 6-digit code is right for among the previous, current and next (RFC 6238 section 5.2:
 * one step of clock drift either way), or undefined. Which step matched is what makes a code single
 * use: the caller advances the account's last step to it in one conditional statement (ASVS 6.5.1).
 * All three are checked whatever matches; `verifyHOTP` (RFC 4226, by decision `@oslojs/otp`)
 * compares in constant time (ASVS 11.2.4).
 */
export async function matchingStep(
  key: Uint8Array,
  code: string,
  now: Date,
): Promise<number | undefined> {
  const current = stepAt(now)
  const steps = [current - 1, current, current + 1]
  const matches = steps.map((step) => verifyHOTP(key, BigInt(step), DIGITS, code))
  return steps[matches.indexOf(true)]
}

const base32 = (key: Uint8Array) => encodeBase32LowerCaseNoPadding(key).toUpperCase()

/** The key as people type it: base32 in groups of four. */
export function groupedKey(key: Uint8Array): string {
  return base32(key).replace(/(.{4})(?=.)/g, '$1 ')
}

/** The `otpauth://` URI the QR code carries (Google Authenticator's Key Uri Format). */
export function keyUri(issuer: string, account: string, key: Uint8Array): string {
  const params = new URLSearchParams({
    issuer,
    algorithm: 'SHA1',
    secret: base32(key),
    period: String(PERIOD_SECONDS),
    digits: String(DIGITS),
  })
  return `otpauth://totp/${encodeURIComponent(issuer)}:${encodeURIComponent(account)}?${params}`
}

/** What a code field accepts: six digits, spaces allowed between them as apps show them. */
export function typedCode(raw: string): string | undefined {
  const code = raw.replace(/\s+/g, '')
  return /^\d{6}$/.test(code) ? code : undefined
}
