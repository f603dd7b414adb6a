import type { Child } from 'hono/jsx'
import type { SessionListing } from '../db/sessions'
import type { AccountChange, Flash } from '../flash'
import type { FieldErrors } from '../forms'
import { USERNAME_MAX } from '../limits'
import { describeUserAgent } from '../user-agent'
import { Alert, Field, HxForm, HxLink } from './fields'

const dateTime = new Intl.DateTimeFormat('en-GB', {
  dateStyle: 'medium',
  timeStyle: 'short',
  timeZone: 'UTC',
})
const dateOnly = new Intl.DateTimeFormat('en-GB', { dateStyle: 'long', timeZone: 'UTC' })

function When(props: { at: Date; withTime?: boolean }) {
  const text = props.withTime === false ? dateOnly.format(props.at) : dateTime.format(props.at)
  return (
    <time datetime={props.at.toISOString()}>{props.withTime === false ? text : `${text} UTC`}</time>
  )
}

/**
 * A form that posts normally without JavaScript and, with htmx, replaces itself with the answer
 * (`outerHTML`): a refused submission comes back as this same form with its messages; a success
 * answers 204 with HX-Location and htmx navigates.
 */
function AccountForm(props: { id: string; action: string; label: string; children: Child }) {
  return (
    <form
      id={props.id}
      method="post"
      action={props.action}
      hx-post={props.action}
      hx-swap="outerHTML"
      aria-label={props.label}
    >
      {props.children}
    </form>
  )
}

function BackToAccount() {
  return (
    <p class="switch">
      <HxLink href="/account">Back to your account</HxLink>
    </p>
  )
}

const CHANGED: Record<AccountChange, string> = {
  username: 'Your username is changed.',
  password: 'Your password is changed. Every other session was signed out.',
  session_ended: 'That session is ended: its device is signed out.',
  others_ended: 'You are signed out everywhere else.',
}

function Changed(props: { flash?: Flash }) {
  if (props.flash?.notice !== 'account_changed') return null
  return <Alert kind="success">{CHANGED[props.flash.change]}</Alert>
}

export function AccountCard(props: {
  username: string
  email: string
  memberSince: Date
  flash?: Flash
  /** Shown while the address is unconfirmed (the verification reminder and its resend button). */
  notice?: Child
}) {
  return (
    <section class="card" aria-labelledby="account-title">
      <h1 id="account-title">Your account</h1>
      <Changed flash={props.flash} />
      {props.notice}
      <dl class="account-facts">
        <dt>Username</dt>
        <dd>{props.username}</dd>
        <dt>Email</dt>
        <dd>{props.email}</dd>
        <dt>Member since</dt>
        <dd>
          <When at={props.memberSince} withTime={false} />
        </dd>
      </dl>
      <ul class="account-actions">
        <li>
          <HxLink href="/account/username">Change username</HxLink>
        </li>
        <li>
          <HxLink href="/account/email">Change email address</HxLink>
        </li>
        <li>
          <HxLink href="/account/password">Change password</HxLink>
        </li>
        <li>
          <HxLink href="/account/sessions">Your sessions</HxLink>
        </li>
        <li>
          <HxLink href="/account/delete">Delete account</HxLink>
        </li>
      </ul>
      <p class="switch">
        <HxLink href="/welcome">Back to the welcome page</HxLink>
      </p>
    </section>
  )
}

export function UsernameForm(props: { value?: string; error?: string }) {
  return (
    <AccountForm id="username-form" action="/account/username" label="Change username">
      <Field
        name="username"
        label="New username"
        value={props.value}
        error={props.error}
        autocomplete="nickname"
        maxlength={USERNAME_MAX}
      />
      <button type="submit">Change username</button>
    </AccountForm>
  )
}

export function UsernameCard(props: { value?: string; error?: string }) {
  return (
    <section class="card" aria-labelledby="username-title">
      <h1 id="username-title">Change username</h1>
      <UsernameForm value={props.value} error={props.error} />
      <BackToAccount />
    </section>
  )
}

export type PasswordChangeErrors = FieldErrors<'current_password' | 'new_password'>

export function PasswordForm(props: {
  errors?: PasswordChangeErrors
  failure?: string
  passwordMinLength: number
}) {
  const errors = props.errors ?? {}
  return (
    <AccountForm id="password-form" action="/account/password" label="Change password">
      {props.failure && <Alert kind="error">{props.failure}</Alert>}
      <Field
        name="current_password"
        label="Current password"
        type="password"
        error={errors.current_password}
        autocomplete="current-password"
      />
      <Field
        name="new_password"
        label="New password"
        type="password"
        error={errors.new_password}
        hint={`At least ${props.passwordMinLength} characters. A few unrelated words make a strong one.`}
        autocomplete="new-password"
      />
      <button type="submit">Change password</button>
    </AccountForm>
  )
}

export function PasswordCard(props: {
  errors?: PasswordChangeErrors
  failure?: string
  passwordMinLength: number
}) {
  return (
    <section class="card" aria-labelledby="password-title">
      <h1 id="password-title">Change password</h1>
      <p>Every other device signed in to your account is signed out when you change it.</p>
      <PasswordForm {...props} />
      <BackToAccount />
    </section>
  )
}

/** The password re-check before signing out everywhere else (see README, "sudo mode"). */
export function OthersForm(props: { error?: string; failure?: string }) {
  return (
    <AccountForm
      id="others-form"
      action="/account/sessions/others"
      label="Sign out everywhere else"
    >
      {props.failure && <Alert kind="error">{props.failure}</Alert>}
      <Field
        name="password"
        label="Your password"
        type="password"
        error={props.error}
        autocomplete="current-password"
      />
      <button type="submit">Sign out everywhere else</button>
    </AccountForm>
  )
}

function SessionItem(props: { session: SessionListing; current: boolean }) {
  const s = props.session
  const device = describeUserAgent(s.userAgent)
  return (
    <li class={props.current ? 'session current' : 'session'}>
      <p>
        <strong>{device}</strong>
        {props.current && <span class="badge"> (this device)</span>}
      </p>
      <p class="hint">
        {s.location ? `${s.location} · ` : ''}started <When at={s.createdAt} />, last active{' '}
        <When at={s.lastSeenAt} />
      </p>
      <HxForm action="/account/sessions/end" label={`End session: ${device}`}>
        <input type="hidden" name="session" value={s.idHash} />
        <button type="submit">
          {props.current ? 'Sign out of this device' : 'End this session'}
        </button>
      </HxForm>
    </li>
  )
}

export function SessionsCard(props: {
  sessions: SessionListing[]
  currentIdHash: string
  flash?: Flash
  failure?: string
  others?: Parameters<typeof OthersForm>[0]
}) {
  const others = props.sessions.filter((s) => s.idHash !== props.currentIdHash).length
  return (
    <section class="card" aria-labelledby="sessions-title">
      <h1 id="sessions-title">Your sessions</h1>
      <Changed flash={props.flash} />
      {props.failure && <Alert kind="error">{props.failure}</Alert>}
      <p>Where your account is signed in now. End any session you do not recognise.</p>
      <ul class="sessions">
        {props.sessions.map((s) => (
          <SessionItem session={s} current={s.idHash === props.currentIdHash} />
        ))}
      </ul>
      {others > 0 && (
        <>
          <h2>Sign out everywhere else</h2>
          <p>Ends every session but this one. Enter your password to confirm.</p>
          <OthersForm {...props.others} />
        </>
      )}
      <BackToAccount />
    </section>
  )
}

export function DeleteForm(props: { error?: string; failure?: string }) {
  return (
    <AccountForm id="delete-form" action="/account/delete" label="Delete account">
      {props.failure && <Alert kind="error">{props.failure}</Alert>}
      <Field
        name="password"
        label="Your password"
        type="password"
        error={props.error}
        autocomplete="current-password"
      />
      <button type="submit" class="danger">
        Delete my account
      </button>
    </AccountForm>
  )
}

export function DeleteCard(props: { error?: string; failure?: string }) {
  return (
    <section class="card" aria-labelledby="delete-title">
      <h1 id="delete-title">Delete account</h1>
      <p>
        This removes your account, your sessions and everything else kept about you, at once and for
        good. Every device signed in to it is signed out.
      </p>
      <DeleteForm {...props} />
      <BackToAccount />
    </section>
  )
}

/** Shown above the signup form after an account was deleted. */
export function AccountDeletedNotice() {
  return <Alert kind="success">Your account and everything kept with it are deleted.</Alert>
}
