import type { FieldErrors } from '../../core/forms/validate'
import {
  Alert,
  Card,
  EmailField,
  FlashAlert,
  HxForm,
  HxLink,
  PasswordField,
  SubmitButton,
} from '../../core/ui/components'
import type { Flash } from '../../core/ui/flash'
import { withNext } from '../../core/http/next'
import { NextField } from '../../core/ui/next-field'
import type { SignInLink } from '../../core/feature'
import { SignInLinks } from '../../core/ui/sign-in-links'

// No maxlength on passwords: the server's cap is 72 UTF-8 bytes, and maxlength counts UTF-16 code
// units (a 72-byte password can be 18 emoji or 72 letters), so no maxlength value is right for both.
// The server explains the byte limit instead.

export function SignInCard(props: {
  email?: string
  errors?: FieldErrors<'email' | 'password'>
  failure?: string
  flash?: Flash
  /** Where to go after signing in: a path `safeNext` accepted. */
  next?: string
  /** Other ways to sign in: every feature's `signInLinks` (a provider's "Continue with …"). */
  links?: readonly SignInLink[]
}) {
  const errors = props.errors ?? {}
  // Focus the first field to fix; after "Invalid credentials" (or an account just created) the email
  // is kept, so the password is what to type next.
  const focus = errors.email ? 'email' : errors.password || props.email ? 'password' : undefined
  return (
    <Card id="login" title="Sign in">
      <FlashAlert flash={props.flash} />
      {props.failure && <Alert kind="error">{props.failure}</Alert>}
      <HxForm action="/login" label="Sign in">
        {/* The email is this site's sign-in name: `username` is what password managers pair with
            current-password when they save and fill a login. */}
        {/* `webauthn`: the field's autofill also offers saved passkeys (conditional mediation). */}
        <EmailField
          value={props.email}
          error={errors.email}
          autocomplete="username webauthn"
          autofocus={focus === 'email'}
        />
        <PasswordField label="Password" error={errors.password} autofocus={focus === 'password'} />
        <NextField next={props.next} />
        <SubmitButton>Sign in</SubmitButton>
      </HxForm>
      {/* /js/passkeys.js loads the passkey sign-in form here (features/passkeys), so this page
          stays the same for everyone and costs no statement; without JavaScript it stays empty. */}
      <div class="passkey-slot" data-passkey-load={withNext('/login/passkey', props.next)}></div>
      <SignInLinks links={props.links} next={props.next} />
      <p class="switch">
        <HxLink href={withNext('/signin/code', props.next)}>Email me a sign-in code</HxLink> ·{' '}
        <HxLink href={withNext('/forgot', props.next)}>Forgot your password?</HxLink>
      </p>
      <p class="switch">
        New here? <HxLink href={withNext('/signup', props.next)}>Create an account</HxLink>
      </p>
    </Card>
  )
}
