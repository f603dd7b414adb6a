import type { Child } from 'hono/jsx'
import type { Flash } from '../flash'
import type { FieldErrors, LoginInput, SignupInput } from '../forms'
import { Alert, EmailField, Field, HxForm, HxLink, SubmitButton } from './fields'

/** The first field, in form order, that the person has to fix: it gets `autofocus`. */
function firstInvalid<K extends string>(order: K[], errors: FieldErrors<K>): K | undefined {
  return order.find((name) => errors[name])
}

// No maxlength on passwords: the server's cap is 72 UTF-8 bytes, and maxlength counts UTF-16 code
// units (a 72-byte password can be 18 emoji or 72 letters), so no maxlength value is right for both.
// The server explains the byte limit instead.

export function LoginCard(props: {
  email?: string
  errors?: FieldErrors<keyof LoginInput>
  failure?: string
  flash?: Flash
  notice?: string
}) {
  const errors = props.errors ?? {}
  // Focus the first field to fix; after "Invalid credentials" (or an account just created) the email
  // is kept, so the password is what to type next.
  const focus =
    firstInvalid(['email', 'password'], errors) ?? (props.email ? 'password' : undefined)
  return (
    <section class="card" aria-labelledby="login-title">
      <h1 id="login-title" tabindex={-1}>
        Sign in
      </h1>
      {props.flash?.notice === 'created' && (
        <Alert kind="success">Account created. Sign in with your new password.</Alert>
      )}
      {props.flash?.notice === 'signed_out' && <Alert kind="success">You are signed out.</Alert>}
      {props.notice && <Alert kind="success">{props.notice}</Alert>}
      {props.failure && <Alert kind="error">{props.failure}</Alert>}
      <HxForm action="/login" label="Sign in">
        {/* The email is this site's sign-in name: `username` is what password managers pair with
            current-password when they save and fill a login. */}
        <EmailField
          value={props.email}
          error={errors.email}
          autocomplete="username"
          autofocus={focus === 'email'}
        />
        <Field
          name="password"
          label="Password"
          type="password"
          error={errors.password}
          autocomplete="current-password"
          autofocus={focus === 'password'}
        />
        <SubmitButton>Sign in</SubmitButton>
      </HxForm>
      <p class="switch">
        <HxLink href="/forgot">Forgot your password?</HxLink>
      </p>
      <p class="switch">
        New here? <HxLink href="/signup">Create an account</HxLink>
      </p>
    </section>
  )
}

export function SignupCard(props: {
  values?: Partial<SignupInput>
  errors?: FieldErrors<keyof SignupInput>
  failure?: string
  passwordMinLength: number
}) {
  const errors = props.errors ?? {}
  const values = props.values ?? {}
  const focus = firstInvalid(['username', 'email', 'password'], errors)
  return (
    <section class="card" aria-labelledby="signup-title">
      <h1 id="signup-title" tabindex={-1}>
        Create an account
      </h1>
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
        <Field
          name="password"
          label="Password"
          type="password"
          error={errors.password}
          hint={`At least ${props.passwordMinLength} characters. A few unrelated words make a strong one.`}
          autocomplete="new-password"
          minlength={props.passwordMinLength}
          autofocus={focus === 'password'}
        />
        <SubmitButton>Create account</SubmitButton>
      </HxForm>
      <p class="switch">
        Already have an account? <HxLink href="/">Sign in</HxLink>
      </p>
    </section>
  )
}

export function WelcomeCard(props: { username: string; notice?: Child }) {
  return (
    <section class="card" aria-labelledby="welcome-title">
      <h1 id="welcome-title" tabindex={-1}>
        Welcome, {props.username}
      </h1>
      <p>You are signed in.</p>
      <p>
        <HxLink href="/account">Your account</HxLink>
      </p>
      {props.notice}
      <HxForm action="/logout" label="Sign out">
        <SubmitButton>Sign out</SubmitButton>
      </HxForm>
    </section>
  )
}

/** Shown for a cross-site GET /logout: signing out takes a click on this site's own button. */
export function LogoutConfirmCard() {
  return (
    <section class="card" aria-labelledby="logout-title">
      <h1 id="logout-title" tabindex={-1}>
        Sign out?
      </h1>
      <HxForm action="/logout" label="Sign out">
        <SubmitButton>Sign out</SubmitButton>
      </HxForm>
    </section>
  )
}
