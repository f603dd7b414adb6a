import { withNext } from '../../core/http/next'
import { Alert, Card, EmailField, HxForm, HxLink, NewPasswordField } from '../../core/ui/components'
import { NextField } from '../../core/ui/next-field'

export function ForgotCard(props: { email?: string; error?: string; next?: string }) {
  return (
    <Card id="forgot" title="Forgot your password?">
      <p>
        Enter the email address of your account and we will send you a link to choose a new one.
      </p>
      <HxForm action="/forgot" label="Send a reset link">
        <EmailField value={props.email} error={props.error} autocomplete="username" />
        <NextField next={props.next} />
        <button type="submit">Send the link</button>
      </HxForm>
      <p class="switch">
        Remembered it? <HxLink href={withNext('/', props.next)}>Sign in</HxLink>
      </p>
    </Card>
  )
}

export function ForgotSentCard(props: { minutes: number; next?: string }) {
  return (
    <Card id="forgot-sent" title="Check your inbox">
      <Alert kind="success">
        If an account exists for that address, we sent it a link to choose a new password.
      </Alert>
      <p>The link works once and expires in {props.minutes} minutes.</p>
      <p class="switch">
        Nothing arrived? <HxLink href={withNext('/forgot', props.next)}>Ask again</HxLink> ·{' '}
        <HxLink href={withNext('/', props.next)}>Sign in</HxLink>
      </p>
    </Card>
  )
}

export function ResetCard(props: {
  email: string
  error?: string
  passwordMinLength: number
  next?: string
}) {
  return (
    <Card id="reset" title="Choose a new password">
      <HxForm action="/reset" label="Choose a new password">
        {/* Lets password managers file the new password under the right account. */}
        <input type="email" name="username" value={props.email} autocomplete="username" hidden />
        <NewPasswordField
          label="New password"
          error={props.error}
          minLength={props.passwordMinLength}
          autofocus
        />
        <NextField next={props.next} />
        <button type="submit">Set the password</button>
      </HxForm>
    </Card>
  )
}
