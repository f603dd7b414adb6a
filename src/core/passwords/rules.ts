import { COMMON_PASSWORDS } from './common'

/** bcrypt reads only the first 72 bytes of its input: longer passwords are refused, not truncated. */
export const PASSWORD_MAX_BYTES = 72

const encoder = new TextEncoder()

// NIST SP 800-63B-4 3.1.1.2: normalise with NFKC so the same password typed on different devices
// verifies; applied identically when hashing and verifying.
export function normalisePassword(password: string): string {
  return password.normalize('NFKC')
}

export function utf8Length(text: string): number {
  return encoder.encode(text).length
}

/** The words of an account that a new password must not contain: its username and mailbox name. */
export function passwordContext(user: { username: string; email: string }): string[] {
  return [user.username, user.email.split('@')[0] ?? '']
}

/**
 * Checks a new password; returns the message to show, or null when acceptable.
 * No composition rules (ASVS 6.2.5); length in code points (NIST SP 800-63B-4 3.1.1.2); refuse rather
 * than truncate past bcrypt's 72 bytes (ASVS 6.2.8); refuse common and context words (ASVS 6.2.4).
 */
export function checkNewPassword(
  password: string,
  minLength: number,
  context: readonly string[] = [],
): string | null {
  const normalised = normalisePassword(password)
  const length = [...normalised].length
  if (length < minLength) return `Use at least ${minLength} characters (you have ${length}).`
  if (utf8Length(normalised) > PASSWORD_MAX_BYTES) {
    return `Use at most ${PASSWORD_MAX_BYTES} bytes: this password is ${utf8Length(normalised)} bytes in UTF-8 (accented letters and emoji take 2 to 4 bytes each).`
  }
  if (COMMON_PASSWORDS.has(normalised.toLowerCase())) {
    return 'This password is too common. Choose another.'
  }
  if (mentionsContext(password, context)) {
    return 'Do not use your username or email in your password.'
  }
  return null
}

/** True when the password contains one of these words of 4 or more characters (ASVS 6.2.11). */
export function mentionsContext(password: string, context: readonly string[]): boolean {
  const lower = normalisePassword(password).toLowerCase()
  return context.some((word) => word.length >= 4 && lower.includes(word.toLowerCase()))
}
