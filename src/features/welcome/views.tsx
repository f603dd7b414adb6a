import type { Child } from 'hono/jsx'
import { Card, FlashAlert, HxForm, HxLink, SubmitButton } from '../../core/ui/components'
import type { Flash } from '../../core/ui/flash'

export function WelcomeCard(props: { username: string; notice?: Child; flash?: Flash }) {
  return (
    <Card id="welcome" title={`Welcome, ${props.username}`}>
      <FlashAlert flash={props.flash} />
      <p>You are signed in.</p>
      <p>
        <HxLink href="/account">Your account</HxLink>
      </p>
      {props.notice}
      <SignOutForm />
    </Card>
  )
}

function SignOutForm() {
  return (
    <HxForm action="/logout" label="Sign out">
      <SubmitButton>Sign out</SubmitButton>
    </HxForm>
  )
}

/** Shown for a cross-site GET /logout: signing out takes a click on this site's own button. */
export function LogoutConfirmCard() {
  return (
    <Card id="logout" title="Sign out?">
      <SignOutForm />
    </Card>
  )
}
