import { ResendForm } from '../../core/signin/unverified'
import { withNext } from '../../core/http/next'
import { Alert, Card, HxForm, HxLink } from '../../core/ui/components'
import { NextField } from '../../core/ui/next-field'
import { lifetimeInWords } from '../../core/security/secrets'
import { VERIFY } from './secret'

export function VerifyCard(props: { email: string; next?: string }) {
  return (
    <Card id="verify" title="Confirm your email address">
      <p>
        Confirm that <strong>{props.email}</strong> is your address.
      </p>
      <HxForm action="/verify" label="Confirm the address">
        <NextField next={props.next} />
        <button type="submit">Confirm</button>
      </HxForm>
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
