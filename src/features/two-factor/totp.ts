import { createTOTPKeyURI, verifyHOTP } from '@oslojs/otp'
import { encodeBase32UpperCaseNoPadding } from '@oslojs/encoding'

// RFC 6238 as every authenticator app reads it: HMAC-SHA-1, 6 digits, 30-second steps.
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
 * `verifyHOTP` compares in constant time.
 */
export function matchingStep(key: Uint8Array, code: string, now: Date): number | undefined {
  const current = stepAt(now)
  for (const step of [current - 1, current, current + 1]) {
    if (verifyHOTP(key, BigInt(step), DIGITS, code)) return step
  }
  return undefined
}

/** The key as people type it: base32 in groups of four. */
export function groupedKey(key: Uint8Array): string {
  return encodeBase32UpperCaseNoPadding(key).replace(/(.{4})(?=.)/g, '$1 ')
}

/** The `otpauth://` URI the QR code carries (Google's Key Uri Format). */
export function keyUri(issuer: string, account: string, key: Uint8Array): string {
  return createTOTPKeyURI(issuer, account, key, PERIOD_SECONDS, DIGITS)
}

/** What a code field accepts: six digits, spaces allowed between them as apps show them. */
export function typedCode(raw: string): string | undefined {
  const code = raw.replace(/\s+/g, '')
  return /^\d{6}$/.test(code) ? code : undefined
}
