import { checkNewPassword } from './auth/passwords'

export type FieldErrors<K extends string> = Partial<Record<K, string>>
type FormBody = Record<string, string | File | (string | File)[]>

export interface SignupInput {
  username: string
  email: string
  password: string
}
export type LoginInput = Omit<SignupInput, 'username'>

const EMAIL_MAX = 254
const USERNAME_MAX = 64
// A pragmatic check: one @, no spaces, a dot in the domain. Deliverability is the mailbox's business.
const EMAIL_SHAPE = /^[^\s@]+@[^\s@]+\.[^\s@.]+$/u
// Control and invisible formatting characters make names that look alike but differ.
const UNPRINTABLE = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/u

function text(body: FormBody, name: string): string {
  const value = body[name]
  return typeof value === 'string' ? value : ''
}

/** Trim, Unicode NFC, lower case: the one form an email is stored and looked up in. */
export function normaliseEmail(raw: string): string {
  return raw.trim().normalize('NFC').toLowerCase()
}

/** The message for an unusable (normalised) email, or undefined when it will do. */
export function emailError(email: string): string | undefined {
  if (email === '') return 'Enter your email address.'
  if (email.length > EMAIL_MAX) return `Use at most ${EMAIL_MAX} characters.`
  if (!EMAIL_SHAPE.test(email) || UNPRINTABLE.test(email))
    return 'Enter an email like name@example.com.'
  return undefined
}

/** Reads and checks the signup form; values are normalised, errors keyed by field. */
export function readSignup(body: FormBody, passwordMinLength: number) {
  const values: SignupInput = {
    username: text(body, 'username').trim().normalize('NFC'),
    email: normaliseEmail(text(body, 'email')),
    password: text(body, 'password'),
  }
  const errors: FieldErrors<keyof SignupInput> = {}
  const nameLength = [...values.username].length
  if (nameLength === 0) errors.username = 'Choose a username.'
  else if (nameLength > USERNAME_MAX) errors.username = `Use at most ${USERNAME_MAX} characters.`
  else if (UNPRINTABLE.test(values.username)) errors.username = 'Use visible characters only.'
  const email = emailError(values.email)
  if (email) errors.email = email
  if (values.password === '') errors.password = 'Choose a password.'
  else {
    const context = [values.username, values.email.split('@')[0] ?? '']
    const password = checkNewPassword(values.password, passwordMinLength, context)
    if (password) errors.password = password
  }
  return { values, errors }
}

/** Reads the login form; only presence is checked, so no rule leaks which accounts exist. */
export function readLogin(body: FormBody) {
  const values: LoginInput = {
    email: normaliseEmail(text(body, 'email')),
    password: text(body, 'password'),
  }
  const errors: FieldErrors<keyof LoginInput> = {}
  if (values.email === '') errors.email = 'Enter your email address.'
  else if (values.email.length > EMAIL_MAX) errors.email = `Use at most ${EMAIL_MAX} characters.`
  if (values.password === '') errors.password = 'Enter your password.'
  return { values, errors }
}
