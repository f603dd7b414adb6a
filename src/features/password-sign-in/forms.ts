import * as v from 'valibot'
import { normaliseEmail } from '../../core/forms/email'
import { currentPasswordField, typedEmailField } from '../../core/forms/fields'

/**
 * The sign-in form: only presence is checked, so no rule leaks which accounts exist. The address as
 * typed travels beside the normalised one: accounts adopted from the FastAPI app whose addresses
 * differ only in case keep them as registered, and sign in with them exactly.
 */
export const signInSchema = v.pipe(
  v.object({ email: typedEmailField, password: currentPasswordField }),
  v.transform(({ email, password }) => ({
    email: normaliseEmail(email),
    typedEmail: email,
    password,
  })),
)

export type SignInInput = v.InferOutput<typeof signInSchema>
