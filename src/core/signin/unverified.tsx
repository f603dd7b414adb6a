import { withNext } from '../http/next'
import { Alert, Card, EmailField, HxForm, HxLink } from '../ui/components'
import { NextField } from '../ui/next-field'

// The door's answer for a right first step on an address EMAIL_VERIFICATION=required wants
// confirmed. The resend form posts to the email-verification feature's route, which the other
// pages of that feature share.

/**
 * Asks for a new verification link: for the signed-in account, or for the address typed. `next`
 * rides in the link it mails (features/email-verification).
 */
export function ResendForm(props: { email?: string; signedIn?: boolean; next?: string }) {
  return (
    <HxForm action="/verify/resend" label="Send a new confirmation link">
      {props.email !== undefined && <input type="hidden" name="email" value={props.email} />}
      {props.email === undefined && !props.signedIn && <EmailField autocomplete="email" />}
      <NextField next={props.next} />
      <button type="submit">Send a new link</button>
    </HxForm>
  )
}

export function UnverifiedCard(props: { email: string; next?: string }) {
  return (
    <Card id="unverified" title="Confirm your email address first">
      <Alert kind="error">
        Your password is right, but {props.email} is not confirmed yet. Open the link we sent to it,
        or ask for a new one.
      </Alert>
      <ResendForm email={props.email} next={props.next} />
      <p class="switch">
        <HxLink href={withNext('/', props.next)}>Back to sign in</HxLink>
      </p>
    </Card>
  )
}

/** The door's answer for a right first step on an account an admin locked (issue 21). */
export function LockedCard() {
  return (
    <Card id="locked" title="This account is locked">
      <Alert kind="error">
        This account is locked: it cannot sign in for now. If you think this is a mistake, contact
        support.
      </Alert>
      <p class="switch">
        <HxLink href="/">Back to sign in</HxLink>
      </p>
    </Card>
  )
}
