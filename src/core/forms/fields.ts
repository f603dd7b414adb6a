import * as v from 'valibot'
import { checkNewPassword } from '../passwords/rules'
import { normaliseEmail } from './email'
import { EMAIL_MAX, USERNAME_MAX } from './limits'

// The field pieces every form is built from: the one source of each field's rules, limits and
// messages (the markup's `maxlength` and hints reuse the same limits).

// The HTML standard's "valid e-mail address" (what `type=email` accepts), with a dot in the domain,
// and without `/` and `?` in the local part, so an address can never read as a link
// (`https://evil.example/x?me@evil.co`) in a message that shows it. Both parts may also hold
// letters, marks and digits beyond ASCII (RFC 6531 addresses, internationalised domain names).
// Deliverability is the mailbox's business.
const EMAIL_SHAPE =
  /^[\p{L}\p{N}\p{M}.!#$%&'*+=^_`{|}~-]+@[\p{L}\p{N}](?:[\p{L}\p{N}\p{M}-]{0,61}[\p{L}\p{N}\p{M}])?(?:\.[\p{L}\p{N}](?:[\p{L}\p{N}\p{M}-]{0,61}[\p{L}\p{N}\p{M}])?)+$/iu
// Control characters, line separators and invisible format characters (bidi overrides and
// isolates, zero-width spaces, soft hyphens) make names that look alike but differ. A zero-width
// joiner or non-joiner, or a variation selector, is allowed only between visible characters: emoji
// sequences (👩🏽‍💻) and scripts such as Persian need them.
const UNPRINTABLE_NAME =
  /[\p{Cc}\p{Zl}\p{Zp}]|(?![\u200C\u200D])\p{Cf}|(?<![^\p{Cf}\p{Cc}\p{Z}])[\u200C\u200D\uFE00-\uFE0F\u{E0100}-\u{E01EF}]|[\u200C\u200D](?![^\p{Cf}\p{Cc}\p{Z}])/u
// Addresses need none of them.
const UNPRINTABLE_EMAIL = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/u

/** True when a name shows every character it holds: no controls, no stray format characters. */
export function isVisibleName(name: string): boolean {
  return !UNPRINTABLE_NAME.test(name)
}

/** A field as posted: a missing or duplicated field, or a file, is not a string and reads as empty. */
export const text = v.pipe(
  v.optional(v.unknown(), ''),
  v.transform((x) => (typeof x === 'string' ? x : '')),
)

const codePoints = (s: string) => [...s].length

export const usernameField = v.pipe(
  text,
  v.transform((s) => s.trim().normalize('NFC')),
  v.nonEmpty('Choose a username.'),
  v.check((s) => codePoints(s) <= USERNAME_MAX, `Use at most ${USERNAME_MAX} characters.`),
  v.check(isVisibleName, 'Use visible characters only.'),
)

export const emailField = v.pipe(
  text,
  v.transform(normaliseEmail),
  v.nonEmpty('Enter your email address.'),
  v.maxLength(EMAIL_MAX, `Use at most ${EMAIL_MAX} characters.`),
  v.regex(EMAIL_SHAPE, 'Enter an email like name@example.com.'),
  v.check((s) => !UNPRINTABLE_EMAIL.test(s), 'Enter an email like name@example.com.'),
)

/**
 * An address as typed into sign-in: only presence and length are checked, so no rule leaks which
 * accounts exist. Trimmed, not normalised: the caller keeps the typed form beside the normal one.
 */
export const typedEmailField = v.pipe(
  text,
  v.transform((s) => s.trim()),
  v.nonEmpty('Enter your email address.'),
  v.check((s) => normaliseEmail(s).length <= EMAIL_MAX, `Use at most ${EMAIL_MAX} characters.`),
)

/**
 * A password checked against the account (sign-in, re-authentication): presence only, and exactly
 * as typed (ASVS 6.2.8: never trimmed).
 */
export const currentPasswordField = v.pipe(text, v.nonEmpty('Enter your password.'))

/**
 * The password of a sudo-mode form (core/signin/reauth.ts): required of an account that has one
 * (`LiveSession.hasPassword`), as a sign-in's is; an account without one sends none, and a recent
 * sign-in stands in for it (`SudoPasswordField` shows why).
 */
export function sudoPasswordField(hasPassword: boolean | undefined) {
  return hasPassword === false ? text : currentPasswordField
}

const newPasswordFields = new Map<number, ReturnType<typeof buildNewPassword>>()

function buildNewPassword(minLength: number, context: readonly string[]) {
  return v.pipe(
    text,
    v.nonEmpty('Choose a password.'),
    v.rawCheck(({ dataset, addIssue }) => {
      if (!dataset.typed) return
      const problem = checkNewPassword(dataset.value, minLength, context)
      if (problem) addIssue({ message: problem })
    }),
  )
}

/**
 * A new password under the configured rules (ASVS 6.2.x): the minimum length, bcrypt's 72 bytes,
 * the blocklist, and none of `context` (the account's own words: `passwordContext`). Without
 * context the schema is built once per minimum length.
 */
export function newPasswordField(minLength: number, context: readonly string[] = []) {
  if (context.length > 0) return buildNewPassword(minLength, context)
  let schema = newPasswordFields.get(minLength)
  if (!schema) newPasswordFields.set(minLength, (schema = buildNewPassword(minLength, [])))
  return schema
}
