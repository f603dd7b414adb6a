import { ResendForm } from '../../core/signin/unverified'
import { Alert, Card, HxForm, HxLink } from '../../core/ui/components'
import { lifetimeInWords } from '../../core/security/secrets'
import { VERIFY } from './secret'

export function VerifyCard(props: { email: string }) {
  return (
    <Card id="verify" title="Confirm your email address">
      <p>
        Confirm that <strong>{props.email}</strong> is your address.
      </p>
      <HxForm action="/verify" label="Confirm the address">
        <button type="submit">Confirm</button>
      </HxForm>
    </Card>
  )
}

export function VerifySentCard() {
  return (
    <Card id="verify-sent" title="Check your inbox">
      <Alert kind="success">
        If that address can be confirmed, we sent it a link. Open the link to finish.
      </Alert>
      <p>
        The link works once and expires in {lifetimeInWords(VERIFY.lifetimeSeconds)}. Nothing
        arrived? Ask for another:
      </p>
      <ResendForm />
      <p class="switch">
        <HxLink href="/">Sign in</HxLink>
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
