import * as v from 'valibot'
import { emailField, newPasswordField, usernameField } from '../../core/forms/fields'
import { mentionsContext, passwordContext } from '../../core/passwords/rules'

const signupSchemas = new Map<number, ReturnType<typeof buildSignup>>()

function buildSignup(minLength: number) {
  return v.pipe(
    v.object({
      username: usernameField,
      email: emailField,
      password: newPasswordField(minLength),
    }),
    // The account's own words come from the same form here (ASVS 6.2.11).
    v.forward(
      v.partialCheck(
        [['username'], ['email'], ['password']],
        (s) => !mentionsContext(s.password, passwordContext(s)),
        'Do not use your username or email in your password.',
      ),
      ['password'],
    ),
  )
}

/** The signup form: username, email, password; one schema per configured minimum length. */
export function signupSchema(minLength: number) {
  let schema = signupSchemas.get(minLength)
  if (!schema) signupSchemas.set(minLength, (schema = buildSignup(minLength)))
  return schema
}

export type SignupInput = v.InferOutput<ReturnType<typeof signupSchema>>
