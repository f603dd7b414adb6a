import type { Child } from 'hono/jsx'
import { EMAIL_MAX } from '../forms/limits'
import { RECENT_SIGN_IN_MS } from '../signin/reauth'
import type { Flash } from './flash'

interface FieldProps {
  name: string
  label: string
  type?: string
  value?: string
  error?: string
  hint?: string
  autocomplete: string
  minlength?: number
  maxlength?: number
  autofocus?: boolean
  /** Off for fields whose content a password manager or a phone keyboard should not "correct". */
  spellcheck?: boolean
  autocapitalize?: 'none' | 'off'
  /** `numeric` for digit codes: phones show a number pad. */
  inputmode?: 'numeric'
  /** Keeps ids unique when one page has two forms with a field of the same name. */
  idPrefix?: string
}

/**
 * A labelled input whose hint and error are tied to it (aria-describedby, aria-invalid), so a screen
 * reader that lands on it reads the problem with the label.
 */
export function Field(props: FieldProps) {
  const id = `${props.idPrefix ?? ''}field-${props.name}`
  const described = [props.hint && `${id}-hint`, props.error && `${id}-error`].filter(Boolean)
  return (
    <div class={props.error ? 'field invalid' : 'field'}>
      <label for={id}>{props.label}</label>
      {props.hint && (
        <p class="hint" id={`${id}-hint`}>
          {props.hint}
        </p>
      )}
      <input
        id={id}
        name={props.name}
        type={props.type ?? 'text'}
        value={props.value}
        autocomplete={props.autocomplete}
        minlength={props.minlength}
        maxlength={props.maxlength}
        autofocus={props.autofocus}
        spellcheck={props.spellcheck}
        autocapitalize={props.autocapitalize}
        inputmode={props.inputmode}
        required
        aria-invalid={props.error ? 'true' : undefined}
        aria-describedby={described.length ? described.join(' ') : undefined}
      />
      {props.error && (
        <p class="field-error" id={`${id}-error`}>
          {props.error}
        </p>
      )}
    </div>
  )
}

/**
 * The form-level message. Errors use role="alert" (an assertive live region): a swapped-in alert is
 * announced without moving focus away from the field the person has to fix.
 */
export function Alert(props: { kind: 'error' | 'success'; children: Child; notice?: string }) {
  return (
    <p
      class={`alert ${props.kind}`}
      // Which notice it is, for scripts that act on one (/js/passkeys.js after a username change).
      data-notice={props.notice}
      role={props.kind === 'error' ? 'alert' : 'status'}
      aria-live={props.kind === 'error' ? 'assertive' : 'polite'}
    >
      {props.children}
    </p>
  )
}

/**
 * A form that posts normally without JavaScript and, with htmx, swaps the answer into #main, or,
 * with `id`, replaces itself (`outerHTML`): a refused submission then comes back as this same form
 * with its messages. The server answers partial requests with the fragment, so the same markup
 * serves both modes; a success answers 204 with HX-Location and htmx navigates. While a request is
 * in flight htmx disables its buttons (hx-disable) and drops a second submit (hx-sync: htmx 4's
 * default would queue it and sign up twice).
 */
export function HxForm(props: { action: string; label: string; id?: string; children: Child }) {
  return (
    <form
      id={props.id}
      method="post"
      action={props.action}
      hx-post={props.action}
      hx-target={props.id ? undefined : '#main'}
      hx-swap={props.id ? 'outerHTML' : undefined}
      hx-sync="drop"
      hx-disable="findAll button"
      aria-label={props.label}
    >
      {props.children}
    </form>
  )
}

/**
 * A page's card: its heading is the card's name, and takes focus after an htmx swap
 * (`tabindex="-1"`, which /js/app.js needs to move focus there).
 */
export function Card(props: { id: string; title: Child; children?: Child }) {
  return (
    <section class="card" aria-labelledby={`${props.id}-title`}>
      <h1 id={`${props.id}-title`} tabindex={-1}>
        {props.title}
      </h1>
      {props.children}
    </section>
  )
}

const dateTime = new Intl.DateTimeFormat('en-GB', {
  dateStyle: 'medium',
  timeStyle: 'short',
  timeZone: 'UTC',
})
const dateOnly = new Intl.DateTimeFormat('en-GB', { dateStyle: 'long', timeZone: 'UTC' })

/** A moment in UTC, machine-readable too; `withTime={false}` for a date alone. */
export function When(props: { at: Date; withTime?: boolean }) {
  const text = props.withTime === false ? dateOnly.format(props.at) : dateTime.format(props.at)
  return (
    <time datetime={props.at.toISOString()}>{props.withTime === false ? text : `${text} UTC`}</time>
  )
}

export function BackToAccount() {
  return (
    <p class="switch">
      <HxLink href="/account">Back to your account</HxLink>
    </p>
  )
}

/**
 * The submit button with a spinner that CSS shows while the form carries `htmx-request` (or
 * `is-submitting`, set by /js/app.js on a plain post); the label stays, so its name does not change.
 */
export function SubmitButton(props: { children: Child }) {
  return (
    <button type="submit" class="submit">
      <span class="spinner" aria-hidden="true"></span>
      <span>{props.children}</span>
    </button>
  )
}

/** A link that swaps #main in place with htmx and pushes the URL; a plain link without JavaScript. */
export function HxLink(props: { href: string; children: Child }) {
  return (
    <a href={props.href} hx-get={props.href} hx-target="#main" hx-push-url="true">
      {props.children}
    </a>
  )
}

/** The email field of both forms; only what the browser should autofill differs. */
export function EmailField(props: {
  value?: string
  error?: string
  autocomplete: string
  autofocus?: boolean
}) {
  return (
    <Field
      name="email"
      label="Email"
      type="email"
      value={props.value}
      error={props.error}
      autocomplete={props.autocomplete}
      maxlength={EMAIL_MAX}
      autofocus={props.autofocus}
      spellcheck={false}
      autocapitalize="none"
    />
  )
}

/** The notice a redirect carried here (see `setFlash`), if any. */
export function FlashAlert(props: { flash?: Flash }) {
  if (!props.flash) return null
  return (
    <Alert kind="success" notice={props.flash.notice.id}>
      {props.flash.notice.text}
    </Alert>
  )
}

/** The password a sign-in or a re-check compares with the account's (never refilled). */
export function PasswordField(props: {
  name?: string
  label: string
  error?: string
  autofocus?: boolean
  idPrefix?: string
}) {
  return (
    <Field
      name={props.name ?? 'password'}
      label={props.label}
      type="password"
      error={props.error}
      autocomplete="current-password"
      autofocus={props.autofocus}
      idPrefix={props.idPrefix}
    />
  )
}

const RECENT_MINUTES = RECENT_SIGN_IN_MS / 60_000

/**
 * The password of a sudo-mode form (core/signin/reauth.ts). An account without one (a provider's)
 * gets no input, which it could only fill with something meaningless, but the rule that stands in
 * for it, and the refusal when it was not met.
 */
export function SudoPasswordField(props: {
  hasPassword: boolean
  label: string
  error?: string
  idPrefix?: string
  name?: string
}) {
  if (props.hasPassword) {
    const { hasPassword: _, ...field } = props
    return <PasswordField {...field} />
  }
  const id = `${props.idPrefix ?? ''}field-${props.name ?? 'password'}`
  return (
    <div class={props.error ? 'field invalid' : 'field'}>
      <p class="hint" id={`${id}-hint`}>
        Your account has no password: a sign-in within the last {RECENT_MINUTES} minutes confirms it
        is you. If yours was longer ago, sign out, sign in again with your provider, then come back.
      </p>
      {props.error && (
        <p class="field-error" id={`${id}-error`}>
          {props.error}
        </p>
      )}
    </div>
  )
}

/**
 * A new password, with the configured minimum in its hint. No maxlength: the server's cap is 72
 * UTF-8 bytes, and maxlength counts UTF-16 code units, so no value is right; the server explains.
 */
export function NewPasswordField(props: {
  name?: string
  label: string
  error?: string
  minLength: number
  /** Also as the `minlength` attribute (signup), so the browser says it before sending. */
  enforceMinLength?: boolean
  autofocus?: boolean
}) {
  return (
    <Field
      name={props.name ?? 'password'}
      label={props.label}
      type="password"
      error={props.error}
      hint={`At least ${props.minLength} characters. A few unrelated words make a strong one.`}
      autocomplete="new-password"
      minlength={props.enforceMinLength ? props.minLength : undefined}
      autofocus={props.autofocus}
    />
  )
}

/**
 * The second factor a sudo-mode form asks for (core/signin/reauth.ts), shown only to accounts that
 * have one: a current authenticator code or a recovery code. The empty slot after it is where a
 * script offers another factor for the same field (/js/passkeys.js: a passkey); without
 * JavaScript it stays empty.
 */
export function SecondFactorField(props: {
  twoFactor: boolean
  error?: string
  idPrefix?: string
}) {
  if (!props.twoFactor) return null
  return (
    <>
      <Field
        name="second_factor"
        label="Authenticator code or recovery code"
        hint="The 6-digit code your authenticator app shows now, or one of your recovery codes."
        error={props.error}
        autocomplete="one-time-code"
        maxlength={20}
        spellcheck={false}
        autocapitalize="none"
        idPrefix={props.idPrefix}
      />
      <div data-second-factor-slot hidden></div>
    </>
  )
}
