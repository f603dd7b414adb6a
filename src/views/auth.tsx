import type { Child } from 'hono/jsx'
import type { FieldErrors, LoginInput, SignupInput } from '../forms'
import type { Flash } from '../flash'
import { Alert, EmailField, Field, HxForm, HxLink } from './fields'

export function LoginCard(props: {
  email?: string
  errors?: FieldErrors<keyof LoginInput>
  failure?: string
  flash?: Flash
  notice?: string
}) {
  const errors = props.errors ?? {}
  return (
    <section class="card" aria-labelledby="login-title">
      <h1 id="login-title">Sign in</h1>
      {props.flash?.notice === 'created' && (
        <Alert kind="success">Account created. Sign in with your new password.</Alert>
      )}
      {props.flash?.notice === 'signed_out' && <Alert kind="success">You are signed out.</Alert>}
      {props.notice && <Alert kind="success">{props.notice}</Alert>}
      {props.failure && <Alert kind="error">{props.failure}</Alert>}
      <HxForm action="/login" label="Sign in">
        <EmailField value={props.email} error={errors.email} autocomplete="username" />
        <Field
          name="password"
          label="Password"
          type="password"
          error={errors.password}
          autocomplete="current-password"
          autofocus={Boolean(props.email) && !errors.email}
        />
        <button type="submit">Sign in</button>
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
  return (
    <section class="card" aria-labelledby="signup-title">
      <h1 id="signup-title">Create an account</h1>
      {props.failure && <Alert kind="error">{props.failure}</Alert>}
      <HxForm action="/signup" label="Create an account">
        <Field
          name="username"
          label="Username"
          value={values.username}
          error={errors.username}
          autocomplete="nickname"
          maxlength={64}
        />
        <EmailField value={values.email} error={errors.email} autocomplete="email" />
        <Field
          name="password"
          label="Password"
          type="password"
          error={errors.password}
          hint={`At least ${props.passwordMinLength} characters. A few unrelated words make a strong one.`}
          autocomplete="new-password"
        />
        <button type="submit">Create account</button>
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
      <h1 id="welcome-title">Welcome, {props.username}</h1>
      <p>You are signed in.</p>
      {props.notice}
      <HxForm action="/logout" label="Sign out">
        <button type="submit">Sign out</button>
      </HxForm>
    </section>
  )
}

/** Shown for a cross-site GET /logout: signing out takes a click on this site's own button. */
export function LogoutConfirmCard() {
  return (
    <section class="card" aria-labelledby="logout-title">
      <h1 id="logout-title">Sign out?</h1>
      <HxForm action="/logout" label="Sign out">
        <button type="submit">Sign out</button>
      </HxForm>
    </section>
  )
}
