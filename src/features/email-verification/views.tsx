import { ResendForm } from '../../core/signin/unverified'
import { withNext } from '../../core/http/next'
import { Alert, Card, HxForm, HxLink, When } from '../../core/ui/components'
import { NextField } from '../../core/ui/next-field'
import { lifetimeInWords } from '../../core/security/secrets'
import { VERIFY } from './secret'

export function VerifyCard(props: {
  email: string
  username: string
  memberSince: Date
  next?: string
}) {
  return (
    <Card id="verify" title="Confirm your email address">
      <p>
        Confirm that <strong>{props.email}</strong> is the address of the account{' '}
        <strong>{props.username}</strong>, made <When at={props.memberSince} withTime={false} />.
      </p>
      <HxForm action="/verify" label="Confirm the address">
        <NextField next={props.next} />
        <button type="submit">Confirm</button>
      </HxForm>
      {/* Pre-account hijacking: whoever made the account may not own the address. Confirming
          would leave them their password and what they set up; a reset takes it all away
          (core/lifecycle.ts forgetCredentials). */}
      <p class="switch">
        You did not make this account?{' '}
        <HxLink href="/forgot">Take it over with a password reset</HxLink> instead: it removes the
        password and everything else set up on it.
      </p>
    </Card>
  )
}

export function VerifySentCard(props: { next?: string }) {
  return (
    <Card id="verify-sent" title="Check your inbox">
      <Alert kind="success">
        If that address can be confirmed, we sent it a link. Open the link to finish.
      </Alert>
      <p>
        The link works once and expires in {lifetimeInWords(VERIFY.lifetimeSeconds)}. Nothing
        arrived? Ask for another:
      </p>
      <ResendForm next={props.next} />
      <p class="switch">
        <HxLink href={withNext('/', props.next)}>Sign in</HxLink>
      </p>
    </Card>
  )
}

/** The welcome and account pages' nudge while the address is unconfirmed (EMAIL_VERIFICATION). */
export function VerifyReminder() {
  return (
    <div class="verify-reminder">
      <p>Your email address is not confirmed yet: open the link we sent to it.</p>
      <ResendForm signedIn />
    </div>
  )
}
