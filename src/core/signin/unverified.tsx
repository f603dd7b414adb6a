import { Alert, Card, EmailField, HxForm, HxLink } from '../ui/components'

// The door's answer for a right first step on an address EMAIL_VERIFICATION=required wants
// confirmed. The resend form posts to the email-verification feature's route, which the other
// pages of that feature share.

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

export function UnverifiedCard(props: { email: string }) {
  return (
    <Card id="unverified" title="Confirm your email address first">
      <Alert kind="error">
        Your password is right, but {props.email} is not confirmed yet. Open the link we sent to it,
        or ask for a new one.
      </Alert>
      <ResendForm email={props.email} />
      <p class="switch">
        <HxLink href="/">Back to sign in</HxLink>
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
