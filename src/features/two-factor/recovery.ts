import { randomCode } from '../../core/security/secrets'
import { keyedHash } from '../../core/security/throttle'

// Recovery codes (ASVS 6.5.2-6.5.4): ten, each 12 characters from 31 that cannot be confused when
// read aloud or copied by hand (no 0/O, 1/I/L): 12 * log2(31) = 59 bits, above the 50 asked for.
// Random codes need no slow hash: a keyed hash (HMAC under the session secret, bound to the user)
// is enough, and a leaked table is no oracle without the key.
export const RECOVERY_CODE_COUNT = 10
/** The page warns when this few are left. */
export const RECOVERY_CODES_LOW = 3
const ALPHABET = '23456789ABCDEFGHJKMNPQRSTUVWXYZ'
const LENGTH = 12

/** Ten fresh codes, as shown: `ABCD-EFGH-JKMN`. */
export function newRecoveryCodes(): string[] {
  return Array.from({ length: RECOVERY_CODE_COUNT }, () =>
    randomCode(ALPHABET, LENGTH).replace(/(.{4})(?=.)/g, '$1-'),
  )
}

/** A typed code in its stored form (case, spaces and dashes ignored), or undefined if it cannot be one. */
export function typedRecoveryCode(raw: string): string | undefined {
  const code = raw.toUpperCase().replace(/[\s-]+/g, '')
  return code.length === LENGTH && [...code].every((ch) => ALPHABET.includes(ch)) ? code : undefined
}

/** The keyed hash stored for a code of this user. */
export async function recoveryCodeHash(secret: string, userId: number, code: string) {
  const normalised = typedRecoveryCode(code) ?? code
  return (await keyedHash(secret))(`recovery\n${userId}\n${normalised}`)
}
