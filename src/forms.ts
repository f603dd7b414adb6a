import type { Context, Env } from 'hono'
import { validator } from 'hono/validator'
import * as v from 'valibot'
import { checkNewPassword, mentionsContext } from './auth/passwords'
import type { AppEnv } from './env'
import { normaliseEmail } from './email-address'
import { EMAIL_MAX, USERNAME_MAX } from './limits'

export { normaliseEmail }

export type FieldErrors<K extends string> = Partial<Record<K, string>>

// A pragmatic check: one @, no spaces, a dot in the domain. Deliverability is the mailbox's business.
const EMAIL_SHAPE = /^[^\s@]+@[^\s@]+\.[^\s@.]+$/u
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

/** The message for an unusable email (the signup rules), or undefined when it will do. */
export function emailError(raw: string): string | undefined {
  const result = v.safeParse(emailField, raw)
  return result.success ? undefined : result.issues[0].message
}

// A field as posted: a missing or duplicated field, or a file, is not a string and reads as empty.
const text = v.pipe(
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

/** A password being checked against the account (login, re-authentication): presence only. */
export const currentPasswordField = v.pipe(text, v.nonEmpty('Enter your password.'))

const newPasswordSchemas = new Map<number, ReturnType<typeof buildNewPassword>>()

function buildNewPassword(minLength: number) {
  return v.pipe(
    text,
    v.nonEmpty('Choose a password.'),
    v.rawCheck(({ dataset, addIssue }) => {
      if (!dataset.typed) return
      const problem = checkNewPassword(dataset.value, minLength)
      if (problem) addIssue({ message: problem })
    }),
  )
}

/** A new password under the configured rules (ASVS 6.2.x); one schema per minimum length. */
export function newPasswordField(minLength: number) {
  let schema = newPasswordSchemas.get(minLength)
  if (!schema) newPasswordSchemas.set(minLength, (schema = buildNewPassword(minLength)))
  return schema
}

const signupSchemas = new Map<number, ReturnType<typeof buildSignup>>()

function buildSignup(minLength: number) {
  return v.pipe(
    v.object({
      username: usernameField,
      email: emailField,
      password: newPasswordField(minLength),
    }),
    v.forward(
      v.partialCheck(
        [['username'], ['email'], ['password']],
        (s) => !mentionsContext(s.password, [s.username, s.email.split('@')[0] ?? '']),
        'Do not use your username or email in your password.',
      ),
      ['password'],
    ),
  )
}

/** The signup form: username, email, password. */
export function signupSchema(minLength: number) {
  let schema = signupSchemas.get(minLength)
  if (!schema) signupSchemas.set(minLength, (schema = buildSignup(minLength)))
  return schema
}

/**
 * The login form: only presence is checked, so no rule leaks which accounts exist. The address as
 * typed travels beside the normalised one: accounts adopted from the FastAPI app whose addresses
 * differ only in case keep them as registered, and sign in with them exactly.
 */
export const loginSchema = v.pipe(
  v.object({
    email: v.pipe(
      text,
      v.transform((s) => s.trim()),
      v.nonEmpty('Enter your email address.'),
      v.check((s) => normaliseEmail(s).length <= EMAIL_MAX, `Use at most ${EMAIL_MAX} characters.`),
    ),
    password: currentPasswordField,
  }),
  v.transform(({ email, password }) => ({
    email: normaliseEmail(email),
    typedEmail: email,
    password,
  })),
)

export type SignupInput = v.InferOutput<ReturnType<typeof signupSchema>>
export type LoginInput = v.InferOutput<typeof loginSchema>

/** A validation issue as valibot and Standard Schema validators report it. */
interface Issue {
  readonly message: string
  readonly path?: ReadonlyArray<PropertyKey | { readonly key: unknown }> | undefined
}

/** The first message per field, as the forms show them next to their inputs. */
export function fieldErrors<K extends string>(issues: readonly Issue[]): FieldErrors<K> {
  const errors: Record<string, string> = {}
  for (const issue of issues) {
    const segment = issue.path?.[0]
    const key = typeof segment === 'object' ? segment.key : segment
    if (typeof key === 'string' && !(key in errors)) errors[key] = issue.message
  }
  return errors as FieldErrors<K>
}

/** What the person typed, to put back in the form after an error: never the password. */
export function keptValues(raw: Record<string, unknown>, names: readonly string[]) {
  const kept: Record<string, string> = {}
  for (const name of names) {
    const value = raw[name]
    if (typeof value === 'string' && !name.includes('password')) kept[name] = value.trim()
  }
  return kept
}

type Schema = v.GenericSchema<unknown, Record<string, unknown>>

/**
 * Hono's validator middleware over a valibot schema chosen per request (limits such as the password
 * length come from the configuration). An invalid form is answered by `onInvalid`, which re-renders
 * the form with its messages; a valid one reaches the handler as `c.req.valid('form')`.
 */
export function validForm<S extends Schema, E extends Env = AppEnv>(
  schemaFor: (c: Context<E>) => S,
  onInvalid: (
    c: Context<E>,
    errors: FieldErrors<string>,
    raw: Record<string, unknown>,
  ) => Response | Promise<Response>,
) {
  return validator('form', (value, c: Context<E>) => {
    const result = v.safeParse(schemaFor(c), value)
    if (!result.success) return onInvalid(c, fieldErrors(result.issues), value)
    return result.output as v.InferOutput<S>
  })
}
