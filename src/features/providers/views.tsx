import { withNext } from '../../core/http/next'
import {
  Alert,
  BackToAccount,
  Card,
  FlashAlert,
  HxForm,
  HxLink,
  SecondFactorField,
  SudoPasswordField,
  When,
} from '../../core/ui/components'
import type { Flash } from '../../core/ui/flash'
import type { Provider } from './config'
import type { ConnectedRow } from './queries'

/** A provider sign-in that did not work: what happened, and the way back. */
export function ProviderFailureCard(props: {
  label: string
  message: string
  back: 'signin' | 'account'
}) {
  return (
    <Card id="provider" title={`Sign-in with ${props.label} did not work`}>
      <Alert kind="error">{props.message}</Alert>
      <p class="switch">
        {props.back === 'account' ? (
          <HxLink href="/account/connected">Back to connected accounts</HxLink>
        ) : (
          <HxLink href="/">Back to sign in</HxLink>
        )}
      </p>
    </Card>
  )
}

/**
 * After a connect form, without JavaScript: the answer moves on by itself (its `Refresh` header)
 * and offers the same link. A redirect would not do: CSP `form-action 'self'` also covers where a
 * form's answer redirects (Chromium, Safari), and the next hop is the provider's origin.
 */
export function ContinueCard(props: { label: string; href: string }) {
  return (
    <Card id="provider-continue" title={`Continue to ${props.label}`}>
      <p>
        {props.label} asks you to sign in there and to allow the connection, then sends you back
        here.
      </p>
      <p>
        <a href={props.href}>Continue to {props.label}</a>
      </p>
      <BackToAccount />
    </Card>
  )
}

/**
 * The address the provider gave belongs to an account here: never linked automatically
 * (GHSA-g38m-r43w-p2q7: whoever controls an address at some provider would take the account).
 */
export function EmailTakenCard(props: { label: string }) {
  return (
    <Card id="provider" title="You already have an account">
      <Alert kind="error">
        An account with the address {props.label} gave us already exists here. Sign in to it (with
        your password, an emailed code or a passkey), then connect {props.label} from your account
        page, under Connected accounts.
      </Alert>
      <p class="switch">
        <HxLink href="/">Sign in</HxLink> ·{' '}
        <HxLink href="/signin/code">Email me a sign-in code</HxLink>
      </p>
    </Card>
  )
}

/** What a refusal on the connected-accounts page is about. */
export interface Refusal {
  form: `connect-${string}` | `disconnect-${number}`
  message: string
  field?: 'password' | 'second_factor'
}

export function ConnectedCard(props: {
  rows: ConnectedRow[]
  providers: readonly Provider[]
  twoFactor: boolean
  /** The account has no password: sudo mode takes a very recent sign-in instead. */
  passwordless: boolean
  /** For a passwordless account whose sign-in is no longer recent: where to sign in again. */
  again?: Pick<Provider, 'id' | 'label'>
  flash?: Flash
  refusal?: Refusal
}) {
  const labelOf = (id: string) => props.providers.find((p) => p.id === id)?.label ?? id
  return (
    <Card id="connected" title="Connected accounts">
      <FlashAlert flash={props.flash} />
      <p>Sign in with an account you have elsewhere instead of a password.</p>
      {props.again && (
        <p>
          Your account has no password, and your sign-in was more than 5 minutes ago:{' '}
          <a href={withNext(`/login/provider/${props.again.id}`, '/account/connected')}>
            confirm it is you by signing in again with {props.again.label}
          </a>
          .
        </p>
      )}
      {props.rows.length === 0 ? (
        <p>No account is connected.</p>
      ) : (
        <ul class="passkeys" role="list">
          {props.rows.map((row) => (
            <ConnectedItem
              row={row}
              label={labelOf(row.provider)}
              twoFactor={props.twoFactor}
              passwordless={props.passwordless}
              refusal={props.refusal}
            />
          ))}
        </ul>
      )}
      {props.providers.length > 0 && <h2>Connect an account</h2>}
      {props.providers.map((p) => {
        const form = `connect-${p.id}` as const
        const refusal = props.refusal?.form === form ? props.refusal : undefined
        return (
          <HxForm action={`/account/connected/${p.id}/connect`} label={`Connect ${p.label}`}>
            {refusal && <Alert kind="error">{refusal.message}</Alert>}
            <SudoFields
              prefix={`${form}-`}
              twoFactor={props.twoFactor}
              passwordless={props.passwordless}
              refusal={refusal}
            />
            <button type="submit">Connect {p.label}</button>
          </HxForm>
        )
      })}
      <BackToAccount />
    </Card>
  )
}

function SudoFields(props: {
  prefix: string
  twoFactor: boolean
  passwordless: boolean
  refusal?: Refusal
}) {
  const error = (field: Refusal['field']) =>
    props.refusal?.field === field ? props.refusal?.message : undefined
  return (
    <>
      <SudoPasswordField
        hasPassword={!props.passwordless}
        label="Your password"
        idPrefix={props.prefix}
        error={error('password')}
      />
      <SecondFactorField
        twoFactor={props.twoFactor}
        idPrefix={props.prefix}
        error={error('second_factor')}
      />
    </>
  )
}

function ConnectedItem(props: {
  row: ConnectedRow
  label: string
  twoFactor: boolean
  passwordless: boolean
  refusal?: Refusal
}) {
  const { row } = props
  const form = `disconnect-${row.id}` as const
  const refusal = props.refusal?.form === form ? props.refusal : undefined
  return (
    <li>
      <p>
        <strong>{props.label}</strong>
        <br />
        Connected <When at={row.createdAt} />;{' '}
        {row.lastUsedAt ? (
          <>
            last used <When at={row.lastUsedAt} />
          </>
        ) : (
          'never used'
        )}
      </p>
      <details open={refusal ? true : undefined}>
        <summary>Disconnect</summary>
        <HxForm
          action={`/account/connected/${row.id}/disconnect`}
          label={`Disconnect ${props.label}`}
        >
          {refusal && <Alert kind="error">{refusal.message}</Alert>}
          <SudoFields
            prefix={`${form}-`}
            twoFactor={props.twoFactor}
            passwordless={props.passwordless}
            refusal={refusal}
          />
          <button type="submit">Disconnect {props.label}</button>
        </HxForm>
      </details>
    </li>
  )
}
