import type { FieldErrors } from '../forms'
import { Alert, EmailField, Field, HxForm, HxLink } from './fields'

export function ForgotCard(props: { email?: string; error?: string }) {
  return (
    <section class="card" aria-labelledby="forgot-title">
      <h1 id="forgot-title">Forgot your password?</h1>
      <p>
        Enter the email address of your account and we will send you a link to choose a new one.
      </p>
      <HxForm action="/forgot" label="Send a reset link">
        <EmailField value={props.email} error={props.error} autocomplete="username" />
        <button type="submit">Send the link</button>
      </HxForm>
      <p class="switch">
        Remembered it? <HxLink href="/">Sign in</HxLink>
      </p>
    </section>
  )
}

export function ForgotSentCard(props: { minutes: number }) {
  return (
    <section class="card" aria-labelledby="forgot-sent-title">
      <h1 id="forgot-sent-title">Check your inbox</h1>
      <Alert kind="success">
        If an account exists for that address, we sent it a link to choose a new password.
      </Alert>
      <p>The link works once and expires in {props.minutes} minutes.</p>
      <p class="switch">
        Nothing arrived? <HxLink href="/forgot">Ask again</HxLink> ·{' '}
        <HxLink href="/">Sign in</HxLink>
      </p>
    </section>
  )
}

export function ResetCard(props: { email: string; error?: string; passwordMinLength: number }) {
  return (
    <section class="card" aria-labelledby="reset-title">
      <h1 id="reset-title">Choose a new password</h1>
      <HxForm action="/reset" label="Choose a new password">
        {/* Lets password managers file the new password under the right account. */}
        <input type="email" name="username" value={props.email} autocomplete="username" hidden />
        <Field
          name="password"
          label="New password"
          type="password"
          error={props.error}
          hint={`At least ${props.passwordMinLength} characters. A few unrelated words make a strong one.`}
          autocomplete="new-password"
          autofocus
        />
        <button type="submit">Set the password</button>
      </HxForm>
    </section>
  )
}

export type LinkKind = 'reset' | 'verify' | 'email_change'

/** Expired, used or forged links all get this page, with the way to ask for a new one. */
export function LinkInvalidCard(props: { kind: LinkKind }) {
  return (
    <section class="card" aria-labelledby="link-title">
      <h1 id="link-title">This link cannot be used</h1>
      <Alert kind="error">
        The link has expired, was already used, or was replaced by a newer one.
      </Alert>
      {props.kind === 'reset' && (
        <p>
          <HxLink href="/forgot">Ask for a new link</HxLink>
        </p>
      )}
      {props.kind === 'verify' && <ResendForm />}
      {props.kind === 'email_change' && (
        <p>
          <a href="/account/email">Ask again from your account</a>
        </p>
      )}
      <p class="switch">
        <HxLink href="/">Sign in</HxLink>
      </p>
    </section>
  )
}

/** Asks for a new verification link: for the signed-in account, or for the address typed. */
export function ResendForm(props: { email?: string; signedIn?: boolean }) {
  return (
    <HxForm action="/verify/resend" label="Send a new confirmation link">
      {props.email !== undefined && <input type="hidden" name="email" value={props.email} />}
      {props.email === undefined && !props.signedIn && <EmailField autocomplete="email" />}
      <button type="submit">Send a new link</button>
    </HxForm>
  )
}

export function VerifyCard(props: { email: string }) {
  return (
    <section class="card" aria-labelledby="verify-title">
      <h1 id="verify-title">Confirm your email address</h1>
      <p>
        Confirm that <strong>{props.email}</strong> is your address.
      </p>
      <HxForm action="/verify" label="Confirm the address">
        <button type="submit">Confirm</button>
      </HxForm>
    </section>
  )
}

export function VerifySentCard() {
  return (
    <section class="card" aria-labelledby="verify-sent-title">
      <h1 id="verify-sent-title">Check your inbox</h1>
      <Alert kind="success">
        If that address can be confirmed, we sent it a link. Open the link to finish.
      </Alert>
      <p>The link works once and expires in 24 hours. Nothing arrived? Ask for another:</p>
      <ResendForm />
      <p class="switch">
        <HxLink href="/">Sign in</HxLink>
      </p>
    </section>
  )
}

/** The sign-in answer for a right password when EMAIL_VERIFICATION=required and it is unconfirmed. */
export function UnverifiedCard(props: { email: string }) {
  return (
    <section class="card" aria-labelledby="unverified-title">
      <h1 id="unverified-title">Confirm your email address first</h1>
      <Alert kind="error">
        Your password is right, but {props.email} is not confirmed yet. Open the link we sent to it,
        or ask for a new one.
      </Alert>
      <ResendForm email={props.email} />
      <p class="switch">
        <HxLink href="/">Back to sign in</HxLink>
      </p>
    </section>
  )
}

/** The welcome page's nudge while the address is unconfirmed (EMAIL_VERIFICATION=optional). */
export function VerifyReminder() {
  return (
    <div class="verify-reminder">
      <p>Your email address is not confirmed yet: open the link we sent to it.</p>
      <ResendForm signedIn />
    </div>
  )
}

export interface EmailChangeInput {
  email: string
  password: string
}

export function EmailChangeCard(props: {
  current: string
  email?: string
  errors?: FieldErrors<keyof EmailChangeInput>
  failure?: string
}) {
  const errors = props.errors ?? {}
  return (
    <section class="card" aria-labelledby="email-change-title">
      <h1 id="email-change-title">Change your email address</h1>
      <p>
        Your address is <strong>{props.current}</strong>. We will send a link to the new one; the
        address changes when you open it.
      </p>
      {props.failure && <Alert kind="error">{props.failure}</Alert>}
      <HxForm action="/account/email" label="Change your email address">
        <Field
          name="email"
          label="New email"
          type="email"
          value={props.email}
          error={errors.email}
          autocomplete="email"
          maxlength={254}
        />
        <Field
          name="password"
          label="Current password"
          type="password"
          error={errors.password}
          autocomplete="current-password"
        />
        <button type="submit">Send the link</button>
      </HxForm>
      <p class="switch">
        <HxLink href="/welcome">Back</HxLink>
      </p>
    </section>
  )
}

export function EmailChangeSentCard(props: { current: string }) {
  return (
    <section class="card" aria-labelledby="email-sent-title">
      <h1 id="email-sent-title">Check the new inbox</h1>
      <Alert kind="success">
        We sent a link to the new address. Open it within 60 minutes to finish the change.
      </Alert>
      <p>
        Until then your address stays <strong>{props.current}</strong>.
      </p>
      <p class="switch">
        <HxLink href="/welcome">Back</HxLink>
      </p>
    </section>
  )
}

export function EmailConfirmCard(props: { email: string }) {
  return (
    <section class="card" aria-labelledby="email-confirm-title">
      <h1 id="email-confirm-title">Use your new address</h1>
      <p>
        Use <strong>{props.email}</strong> as the email address of your account.
      </p>
      <HxForm action="/account/email/confirm" label="Use the new address">
        <button type="submit">Use this address</button>
      </HxForm>
    </section>
  )
}

/** Shown when the address became another account's between the request and the link. */
export function EmailTakenCard() {
  return (
    <section class="card" aria-labelledby="email-taken-title">
      <h1 id="email-taken-title">That address is in use</h1>
      <Alert kind="error">
        Another account uses that address now. Your address did not change.
      </Alert>
      <p>
        <a href="/account/email">Choose another address</a>
      </p>
    </section>
  )
}
