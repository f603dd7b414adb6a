import {
  Alert,
  BackToAccount,
  Card,
  Field,
  FlashAlert,
  HxForm,
  SecondFactorField,
  SudoPasswordField,
  When,
} from '../../core/ui/components'
import type { Flash } from '../../core/ui/flash'
import { withNext } from '../../core/http/next'
import { NextField } from '../../core/ui/next-field'
import type { PasskeyRow } from './queries'

export const NAME_MAX = 64

/** What a refusal on the passkeys page is about: the add form, or one key's forms. */
export interface Refusal {
  form: 'add' | `rename-${number}` | `remove-${number}`
  message: string
  field?: 'password' | 'second_factor' | 'name'
}

function mine(refusal: Refusal | undefined, form: Refusal['form']) {
  return refusal?.form === form ? refusal : undefined
}

/**
 * A passkey ceremony's form: a normal `<form method="post">` whose hidden `credential` field the
 * static script (/js/passkeys.js) fills with the browser's answer before it submits; the options
 * travel in `data-options`. The form is `hidden` until the script finds WebAuthn in the browser:
 * without JavaScript the passkey controls are absent and the page works as before.
 */
function CeremonyForm(props: {
  action: string
  label: string
  mode: 'create' | 'get'
  options: object
  conditional?: boolean
  children?: unknown
  button: string
}) {
  return (
    <form
      method="post"
      action={props.action}
      aria-label={props.label}
      data-passkey={props.mode}
      data-conditional={props.conditional ? 'true' : undefined}
      data-options={JSON.stringify(props.options)}
      hidden
    >
      <input type="hidden" name="credential" value="" />
      {props.children}
      <p class="passkey-error field-error" role="alert" hidden></p>
      <button type="submit">{props.button}</button>
    </form>
  )
}

export function PasskeysCard(props: {
  keys: PasskeyRow[]
  options: object
  twoFactor: boolean
  hasPassword: boolean
  defaultName: string
  /**
   * Right after a removal, for the WebAuthn Signal API: the browser's password manager learns
   * which keys remain. Only then: Chromium runs the signal as a WebAuthn request, and one in
   * flight makes the next ceremony on the page fail with "A request is already pending".
   */
  signal?: { rpId: string; userId: string }
  flash?: Flash
  refusal?: Refusal
}) {
  const add = mine(props.refusal, 'add')
  return (
    <Card id="passkeys" title="Passkeys">
      <FlashAlert flash={props.flash} />
      {props.signal && (
        <div
          data-passkey-accepted={JSON.stringify({
            ...props.signal,
            allAcceptedCredentialIds: props.keys.map((k) => k.credentialId),
          })}
          hidden
        ></div>
      )}
      <p>
        A passkey signs you in with your fingerprint, face or device PIN instead of your password,
        and can stand in for your authenticator app's code.
      </p>
      {props.keys.length === 0 ? (
        <p>You have no passkeys yet.</p>
      ) : (
        <ul class="passkeys" role="list">
          {props.keys.map((key) => (
            <PasskeyItem
              item={key}
              twoFactor={props.twoFactor}
              hasPassword={props.hasPassword}
              refusal={props.refusal}
            />
          ))}
        </ul>
      )}
      <h2>Add a passkey</h2>
      <p class="passkey-nojs">
        Adding a passkey needs JavaScript and a browser that supports them.
      </p>
      <CeremonyForm
        action="/account/passkeys/add"
        label="Add a passkey"
        mode="create"
        options={props.options}
        button="Add a passkey"
      >
        {add && <Alert kind="error">{add.message}</Alert>}
        <Field
          name="name"
          label="Name"
          hint="So you can tell your passkeys apart, for example the device it is on."
          value={props.defaultName}
          autocomplete="off"
          maxlength={NAME_MAX}
          idPrefix="add-"
          error={add?.field === 'name' ? add.message : undefined}
        />
        <SudoPasswordField
          hasPassword={props.hasPassword}
          label="Your password"
          idPrefix="add-"
          error={add?.field === 'password' ? add.message : undefined}
        />
        <SecondFactorField
          twoFactor={props.twoFactor}
          idPrefix="add-"
          error={add?.field === 'second_factor' ? add.message : undefined}
        />
      </CeremonyForm>
      <BackToAccount />
    </Card>
  )
}

function PasskeyItem(props: {
  item: PasskeyRow
  twoFactor: boolean
  hasPassword: boolean
  refusal?: Refusal
}) {
  const key = props.item
  const rename = mine(props.refusal, `rename-${key.id}`)
  const remove = mine(props.refusal, `remove-${key.id}`)
  return (
    <li data-credential-id={key.credentialId}>
      <p>
        <strong>{key.name}</strong>
        <br />
        Added <When at={key.createdAt} />;{' '}
        {key.lastUsedAt ? (
          <>
            last used <When at={key.lastUsedAt} />
          </>
        ) : (
          'never used'
        )}
      </p>
      <details open={rename ? true : undefined}>
        <summary>Rename</summary>
        <HxForm action={`/account/passkeys/${key.id}/rename`} label={`Rename ${key.name}`}>
          <Field
            name="name"
            label="New name"
            value={key.name}
            autocomplete="off"
            maxlength={NAME_MAX}
            idPrefix={`rename-${key.id}-`}
            error={rename?.message}
          />
          <button type="submit">Rename</button>
        </HxForm>
      </details>
      <details open={remove ? true : undefined}>
        <summary>Remove</summary>
        <HxForm action={`/account/passkeys/${key.id}/remove`} label={`Remove ${key.name}`}>
          {remove && <Alert kind="error">{remove.message}</Alert>}
          <SudoPasswordField
            hasPassword={props.hasPassword}
            label="Your password"
            idPrefix={`remove-${key.id}-`}
            error={remove?.field === 'password' ? remove.message : undefined}
          />
          <SecondFactorField
            twoFactor={props.twoFactor}
            idPrefix={`remove-${key.id}-`}
            error={remove?.field === 'second_factor' ? remove.message : undefined}
          />
          <button type="submit">Remove this passkey</button>
        </HxForm>
      </details>
    </li>
  )
}

/** The passkey sign-in: a button, and the email field's autofill on the sign-in page. */
export function PasskeySignInCard(props: {
  options: object
  failure?: string
  /** A credential the server does not know, for the Signal API's signalUnknownCredential. */
  unknown?: { rpId: string; credentialId: string }
  /** Where to go after signing in (a path `nextFrom` accepted), as the password form carries it. */
  next?: string
}) {
  return (
    <Card id="passkey-signin" title="Sign in with a passkey">
      {props.failure && <Alert kind="error">{props.failure}</Alert>}
      {props.unknown && <div data-passkey-unknown={JSON.stringify(props.unknown)} hidden></div>}
      <p class="passkey-nojs">Signing in with a passkey needs JavaScript.</p>
      <PasskeySignInForm options={props.options} next={props.next} />
    </Card>
  )
}

export function PasskeySignInForm(props: {
  options: object
  conditional?: boolean
  next?: string
}) {
  return (
    <CeremonyForm
      action="/login/passkey"
      label="Sign in with a passkey"
      mode="get"
      options={props.options}
      conditional={props.conditional}
      // Not "Sign in …": beside the password form's "Sign in" button, a name that starts alike
      // makes both hard to tell apart by voice control and by name.
      button="Use a passkey"
    >
      <NextField next={props.next} />
    </CeremonyForm>
  )
}

/** The second step with a passkey instead of the app's code. */
export function PasskeySecondStepCard(props: { options: object; failure?: string; next?: string }) {
  return (
    <Card id="passkey-second-step" title="Use your passkey">
      {props.failure && <Alert kind="error">{props.failure}</Alert>}
      <p class="passkey-nojs">Using a passkey needs JavaScript.</p>
      <CeremonyForm
        action="/login/two-factor/passkey"
        label="Use your passkey"
        mode="get"
        options={props.options}
        button="Use your passkey"
      >
        <NextField next={props.next} />
      </CeremonyForm>
      <p class="switch">
        <a href={withNext('/login/two-factor', props.next)}>Enter a code from your app instead</a>
      </p>
    </Card>
  )
}

/**
 * Sudo mode's offer of a passkey (sudo.tsx), fetched by /js/passkeys.js into a sudo-mode form's
 * SecondFactorField: a button that answers the second factor with a passkey instead of a code.
 */
export function PasskeyConfirm(props: { options: object }) {
  return (
    <div class="passkey-confirm" data-passkey-confirm data-options={JSON.stringify(props.options)}>
      <button type="button">Use a passkey instead</button>
      <p class="passkey-error field-error" role="alert" hidden></p>
    </div>
  )
}

/** The account's details for the Signal API's signalCurrentUserDetails (sudo.tsx). */
export function PasskeyUser(props: { details: object }) {
  return <div data-passkey-user={JSON.stringify(props.details)} hidden></div>
}
