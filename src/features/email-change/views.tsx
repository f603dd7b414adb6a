import type { FieldErrors } from '../../core/forms/validate'
import { EMAIL_MAX } from '../../core/forms/limits'
import {
  Alert,
  Card,
  Field,
  HxForm,
  HxLink,
  SecondFactorField,
  SudoPasswordField,
  When,
} from '../../core/ui/components'
import { lifetimeInWords } from '../../core/security/secrets'
import { EMAIL_CHANGE } from './secret'

export function EmailChangeCard(props: {
  current: string
  email?: string
  errors?: FieldErrors<'email' | 'password' | 'second_factor'>
  failure?: string
  twoFactor?: boolean
  hasPassword: boolean
}) {
  const errors = props.errors ?? {}
  return (
    <Card id="email-change" title="Change your email address">
      <p>
        Your address is <strong>{props.current}</strong>. We will send a link to the new one; the
        address changes when you open it.
      </p>
      {props.failure && <Alert kind="error">{props.failure}</Alert>}
      <HxForm action="/account/email" label="Change your email address">
        <Field
          name="email"
          label="New email"
          type="email"
          value={props.email}
          error={errors.email}
          autocomplete="email"
          maxlength={EMAIL_MAX}
        />
        <SudoPasswordField
          hasPassword={props.hasPassword}
          label="Current password"
          error={errors.password}
        />
        <SecondFactorField twoFactor={!!props.twoFactor} error={errors.second_factor} />
        <button type="submit">Send the link</button>
      </HxForm>
      <p class="switch">
        <HxLink href="/welcome">Back</HxLink>
      </p>
    </Card>
  )
}

export function EmailChangeSentCard(props: { current: string }) {
  return (
    <Card id="email-sent" title="Check the new inbox">
      <Alert kind="success">
        We sent a link to the new address. Open it within{' '}
        {lifetimeInWords(EMAIL_CHANGE.lifetimeSeconds)} to finish the change.
      </Alert>
      <p>
        Until then your address stays <strong>{props.current}</strong>.
      </p>
      <p class="switch">
        <HxLink href="/welcome">Back</HxLink>
      </p>
    </Card>
  )
}

export function EmailConfirmCard(props: {
  email: string
  username: string
  memberSince: Date
  /** This browser is signed in to another account than the one the change is for. */
  otherAccount: boolean
}) {
  return (
    <Card id="email-confirm" title="Use your new address">
      {props.otherAccount && (
        <Alert kind="error">
          This change is for another account than the one you are signed in to.
        </Alert>
      )}
      <p>
        Use <strong>{props.email}</strong> as the email address of the account{' '}
        <strong>{props.username}</strong>, made <When at={props.memberSince} withTime={false} />.
      </p>
      <HxForm action="/account/email/confirm" label="Use the new address">
        <button type="submit">Use this address</button>
      </HxForm>
      <p class="switch">
        Not your account? Leave this page: confirming would give the address to that account, and
        nothing changes unless you confirm.
      </p>
    </Card>
  )
}

/** Shown when the address became another account's between the request and the link. */
export function EmailTakenCard() {
  return (
    <Card id="email-taken" title="That address is in use">
      <Alert kind="error">
        Another account uses that address now. Your address did not change.
      </Alert>
      <p>
        <a href="/account/email">Choose another address</a>
      </p>
    </Card>
  )
}
