import {
  Alert,
  Card,
  EmailField,
  Field,
  FlashAlert,
  HxForm,
  HxLink,
  SubmitButton,
} from '../../core/ui/components'
import type { Flash } from '../../core/ui/flash'
import { withNext } from '../../core/http/next'
import { NextField } from '../../core/ui/next-field'
import { showCode } from './code'

const PasswordInstead = (props: { next?: string }) => (
  <p class="switch">
    <HxLink href={withNext('/', props.next)}>Sign in with a password</HxLink>
  </p>
)

/** `next`: where to go after signing in, a path `safeNext` accepted, carried by every form. */
export function AskCard(props: { email?: string; error?: string; next?: string }) {
  return (
    <Card id="code-ask" title="Sign in with a code">
      <p>Enter the email address of your account and we will send it a code to sign in with.</p>
      <HxForm action="/signin/code" label="Email me a sign-in code">
        <EmailField value={props.email} error={props.error} autocomplete="username" autofocus />
        <NextField next={props.next} />
        <SubmitButton>Email me a code</SubmitButton>
      </HxForm>
      <PasswordInstead next={props.next} />
    </Card>
  )
}

export function EnterCard(props: {
  error?: string
  failure?: string
  flash?: Flash
  next?: string
}) {
  return (
    <Card id="code-enter" title="Enter your code">
      {props.failure ? (
        <Alert kind="error">{props.failure}</Alert>
      ) : props.flash ? (
        <FlashAlert flash={props.flash} />
      ) : (
        <Alert kind="success">
          If an account exists for that address, we sent it a sign-in code. It works for 10 minutes,
          in this browser.
        </Alert>
      )}
      <HxForm action="/signin/code/enter" label="Sign in with the code">
        <Field
          name="code"
          label="Code"
          hint="8 letters, like BCDF-GHJK"
          error={props.error}
          autocomplete="one-time-code"
          maxlength={32}
          spellcheck={false}
          autofocus
        />
        <NextField next={props.next} />
        <SubmitButton>Sign in</SubmitButton>
      </HxForm>
      <p class="switch">
        Nothing arrived?{' '}
        <HxLink href={withNext('/signin/code', props.next)}>Ask for a new code</HxLink>
      </p>
      <PasswordInstead next={props.next} />
    </Card>
  )
}

/** The mailed link in the browser that asked: one button, and only its POST signs in. */
export function LinkHereCard(props: { code: string }) {
  return (
    <Card id="code-link" title="Sign in">
      <p>Sign in with the code from your email, in this browser.</p>
      <HxForm action="/signin/code/enter" label="Sign in with the emailed code">
        <input type="hidden" name="code" value={props.code} />
        <SubmitButton>Sign in</SubmitButton>
      </HxForm>
    </Card>
  )
}

/** The mailed link anywhere else: it signs nobody in, and shows the code to type where asked. */
export function LinkElsewhereCard(props: { code: string }) {
  return (
    <Card id="code-link" title="Type this code where you asked">
      <p>
        Your code: <strong>{showCode(props.code)}</strong>
      </p>
      <p>
        This browser did not ask for it, so the link signs nobody in here. Type the code on the page
        where you asked for it, within 10 minutes.
      </p>
      <p class="switch">
        <HxLink href="/signin/code">Sign in here instead</HxLink>
      </p>
    </Card>
  )
}
