import type { Child } from 'hono/jsx'
import type { AccountLink } from '../../core/feature'
import { USERNAME_MAX } from '../../core/forms/limits'
import {
  BackToAccount,
  Card,
  Field,
  FlashAlert,
  HxForm,
  HxLink,
  When,
} from '../../core/ui/components'
import type { Flash } from '../../core/ui/flash'

export function AccountCard(props: {
  username: string
  email: string
  memberSince: Date
  links: readonly AccountLink[]
  flash?: Flash
  /** Shown while the address is unconfirmed (the verification reminder and its resend button). */
  notice?: Child
  /** The newest security events (features/activity). */
  activity?: Child
}) {
  return (
    <Card id="account" title="Your account">
      <FlashAlert flash={props.flash} />
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
      <ul class="account-actions" role="list">
        {props.links.map((link) => (
          <li>
            <HxLink href={link.href}>{link.label}</HxLink>
          </li>
        ))}
      </ul>
      {props.activity}
      <p class="switch">
        <HxLink href="/welcome">Back to the welcome page</HxLink>
      </p>
    </Card>
  )
}

export function UsernameForm(props: { value?: string; error?: string }) {
  return (
    <HxForm id="username-form" action="/account/username" label="Change username">
      <Field
        name="username"
        label="New username"
        value={props.value}
        error={props.error}
        autocomplete="nickname"
        maxlength={USERNAME_MAX}
      />
      <button type="submit">Change username</button>
    </HxForm>
  )
}

export function UsernameCard(props: { value?: string; error?: string }) {
  return (
    <Card id="username" title="Change username">
      <UsernameForm value={props.value} error={props.error} />
      <BackToAccount />
    </Card>
  )
}
