import * as v from 'valibot'
import { text } from '../../core/forms/fields'
import { challengeKind } from '../../core/security/challenges'
import { randomCode } from '../../core/security/secrets'

/**
 * A mailed sign-in code: valid 10 minutes, 5 tries, bound to the browser that asked and to one
 * account (ASVS 6.3.1, NIST SP 800-63B-4 3.1.3: an out-of-band secret, short-lived, rate-limited).
 */
export const signInCode = challengeKind('signin-code', 600, 5)

// RFC 8628 6.1: 20 consonants, no vowels (no words) and none that look alike; 8 of them are
// 20^8 = 2^34.6, and 5 tries per code make a guess about 1 in 5 billion.
const ALPHABET = 'BCDFGHJKLMNPQRSTVWXZ'
const LENGTH = 8
const SHAPE = new RegExp(`^[${ALPHABET}]{${LENGTH}}$`)

/** A fresh code from the CSPRNG, every letter equally likely (`randomCode`). */
export const makeCode = () => randomCode(ALPHABET, LENGTH)

/** As mail and pages show it: `BCDF-GHJK`. */
export const showCode = (code: string) => `${code.slice(0, 4)}-${code.slice(4)}`

/** As typed: any case, with dashes and spaces anywhere (RFC 8628 6.1). */
export const normaliseCode = (typed: string) =>
  typed.normalize('NFKC').replace(/[\s-]/g, '').toUpperCase()

export const fitsCode = (code: string) => SHAPE.test(code)

export const codeField = v.pipe(
  text,
  v.transform(normaliseCode),
  v.nonEmpty('Enter the code from the email.'),
  v.check(fitsCode, 'Enter the 8 letters of the code, like BCDF-GHJK.'),
)
