import * as v from 'valibot'
import { checkNewPassword } from './auth/passwords'
import { usernameField as username } from './forms'

// The account forms' schemas: the one source of each field's rules and messages. A missing field
// reads as empty, so it gets the same message as a blank one.
const text = v.optional(v.string('Send this form from the page.'), '')

// A password is checked exactly as typed (ASVS 6.2.8): never trimmed.
const currentPassword = v.pipe(text, v.nonEmpty('Enter your current password.'))

export const usernameSchema = v.object({ username })

/** Password, for the forms that re-check it before a sensitive action (sudo mode). */
export const passwordCheckSchema = v.object({ password: currentPassword })

/**
 * Current password plus a new one under signup's rules (ASVS 6.2.2, 6.2.3): the configured
 * minimum, bcrypt's 72 bytes, the blocklist, and not the user's own name or email (`context`).
 */
export function passwordChangeSchema(minLength: number, context: readonly string[]) {
  return v.object({
    current_password: currentPassword,
    new_password: v.pipe(
      text,
      v.nonEmpty('Choose a new password.'),
      v.rawCheck<string>(({ dataset, addIssue }) => {
        if (!dataset.typed || dataset.value === '') return
        const problem = checkNewPassword(dataset.value, minLength, context)
        if (problem) addIssue({ message: problem })
      }),
    ),
  })
}

/** Which session to end: the hex SHA-256 id hash the list showed. */
export const endSessionSchema = v.object({
  session: v.pipe(text, v.regex(/^[0-9a-f]{64}$/, 'Choose a session from the list.')),
})

/** The words for a username and email that a new password must not contain (as at signup). */
export function passwordContext(user: { username: string; email: string }): string[] {
  return [user.username, user.email.split('@')[0] ?? '']
}
