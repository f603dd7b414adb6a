import type { FieldErrors } from '../../core/forms/validate'
import {
  Alert,
  Card,
  EmailField,
  Field,
  FlashAlert,
  HxForm,
  HxLink,
  NewPasswordField,
  SubmitButton,
} from '../../core/ui/components'
import type { Flash } from '../../core/ui/flash'
import { withNext } from '../../core/http/next'
import { NextField } from '../../core/ui/next-field'
import type { SignInLink } from '../../core/feature'
import { SignInLinks } from '../../core/ui/sign-in-links'
import type { SignupInput } from './forms'

type SignupField = keyof SignupInput

export function SignupCard(props: {
  values?: Partial<SignupInput>
  errors?: FieldErrors<SignupField>
  failure?: string
  flash?: Flash
  passwordMinLength: number
  /** Where to go once signed in: a path `safeNext` accepted, carried on to the sign-in page. */
  next?: string
  /** Other ways to sign in: every feature's `signInLinks` (a provider's "Continue with …"). */
  links?: readonly SignInLink[]
}) {
  const errors = props.errors ?? {}
  const values = props.values ?? {}
  // The first field, in form order, that the person has to fix gets `autofocus`.
  const focus = (['username', 'email', 'password'] as const).find((name) => errors[name])
  return (
    <Card id="signup" title="Create an account">
      <FlashAlert flash={props.flash} />
      {props.failure && <Alert kind="error">{props.failure}</Alert>}
      <HxForm action="/signup" label="Create an account">
        {/* No maxlength: the server counts code points (USERNAME_MAX) and maxlength counts UTF-16
            code units, so it would cut emoji names short. `nickname`, not `username`: the email is
            the sign-in name a password manager should save with the new password. */}
        <Field
          name="username"
          label="Username"
          value={values.username}
          error={errors.username}
          autocomplete="nickname"
          autofocus={focus === 'username'}
          spellcheck={false}
          autocapitalize="none"
        />
        <EmailField
          value={values.email}
          error={errors.email}
          autocomplete="email"
          autofocus={focus === 'email'}
        />
        <NewPasswordField
          label="Password"
          error={errors.password}
          minLength={props.passwordMinLength}
          enforceMinLength
          autofocus={focus === 'password'}
        />
        <NextField next={props.next} />
        <SubmitButton>Create account</SubmitButton>
      </HxForm>
      <SignInLinks links={props.links} next={props.next} />
      <p class="switch">
        Already have an account? <HxLink href={withNext('/', props.next)}>Sign in</HxLink>
      </p>
    </Card>
  )
}
