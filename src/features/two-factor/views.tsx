import {
  Alert,
  BackToAccount,
  Card,
  Field,
  FlashAlert,
  HxForm,
  HxLink,
  SecondFactorField,
  SubmitButton,
  SudoPasswordField,
} from '../../core/ui/components'
import type { Flash } from '../../core/ui/flash'
import { withNext } from '../../core/http/next'
import { NextField } from '../../core/ui/next-field'
import { QrCode } from './qr'
import { RECOVERY_CODES_LOW } from './recovery'

/** Which form of the settings page a refusal belongs to, and what it says. */
export interface Refusal {
  form: 'setup' | 'regenerate' | 'disable'
  message: string
  field?: 'password' | 'second_factor'
}

const ACTIONS = { setup: 'setup', regenerate: 'recovery-codes', disable: 'disable' } as const

/** One of the settings page's forms: sudo mode's password, and for an account with 2FA a code. */
function SudoForm(props: {
  form: Refusal['form']
  refusal?: Refusal
  label: string
  hasPassword: boolean
}) {
  const { form, label } = props
  const mine = props.refusal?.form === form ? props.refusal : undefined
  return (
    <HxForm action={`/account/two-factor/${ACTIONS[form]}`} label={label}>
      {mine && <Alert kind="error">{mine.message}</Alert>}
      <SudoPasswordField
        hasPassword={props.hasPassword}
        label="Your password"
        error={mine?.field === 'password' ? mine.message : undefined}
        idPrefix={`${form}-`}
      />
      <SecondFactorField
        twoFactor={form !== 'setup'}
        error={mine?.field === 'second_factor' ? mine.message : undefined}
        idPrefix={`${form}-`}
      />
      <SubmitButton>{label}</SubmitButton>
    </HxForm>
  )
}

/** The settings page: turn it on, or see the codes left, regenerate them, turn it off. */
export function TwoFactorCard(props: {
  enabled: boolean
  codesLeft: number
  available: boolean
  flash?: Flash
  refusal?: Refusal
  hasPassword: boolean
}) {
  const sudo = { refusal: props.refusal, hasPassword: props.hasPassword }
  return (
    <Card id="two-factor" title="Two-factor sign-in">
      <FlashAlert flash={props.flash} />
      {!props.enabled && (
        <>
          <p>
            With two-factor sign-in, signing in asks for a code from an authenticator app on your
            phone after your password, so your password alone no longer opens your account.
          </p>
          {props.available ? (
            <SudoForm form="setup" {...sudo} label="Set up an authenticator app" />
          ) : (
            <Alert kind="error">Two-factor sign-in is not available on this server yet.</Alert>
          )}
        </>
      )}
      {props.enabled && (
        <>
          <p>Two-factor sign-in is on: signing in asks for a code from your authenticator app.</p>
          <p>
            You have <strong>{props.codesLeft}</strong> recovery{' '}
            {props.codesLeft === 1 ? 'code' : 'codes'} left.
          </p>
          {props.codesLeft <= RECOVERY_CODES_LOW && (
            <Alert kind="error">
              Few recovery codes are left: make new ones below, or you may be locked out if you lose
              your phone.
            </Alert>
          )}
          <h2>New recovery codes</h2>
          <p>Replaces every recovery code you have now.</p>
          <SudoForm form="regenerate" {...sudo} label="Make new recovery codes" />
          <h2>Turn it off</h2>
          <SudoForm form="disable" {...sudo} label="Turn off two-factor sign-in" />
        </>
      )}
      <BackToAccount />
    </Card>
  )
}

/** Enrolment: the QR code, the key as text, and a current code to confirm it. */
export function SetupCard(props: {
  uri: string
  groupedKey: string
  enrolment: string
  error?: string
}) {
  return (
    <Card id="two-factor-setup" title="Set up your authenticator app">
      <ol class="steps">
        <li>
          <p>Scan this QR code with your authenticator app:</p>
          <QrCode text={props.uri} label="QR code of your authenticator key" />
        </li>
        <li>
          <p>Or type this key into the app (time-based, 6 digits):</p>
          <p>
            <code class="secret" id="totp-key">
              {props.groupedKey}
            </code>
          </p>
        </li>
        <li>
          <p>Enter the code the app shows now to confirm.</p>
        </li>
      </ol>
      <HxForm action="/account/two-factor/enable" label="Confirm your authenticator app">
        <input type="hidden" name="enrolment" value={props.enrolment} />
        <CodeField error={props.error} autofocus={!!props.error} />
        <SubmitButton>Turn on two-factor sign-in</SubmitButton>
      </HxForm>
      <BackToAccount />
    </Card>
  )
}

function CodeField(props: { error?: string; autofocus?: boolean }) {
  return (
    <Field
      name="code"
      label="6-digit code"
      error={props.error}
      autocomplete="one-time-code"
      inputmode="numeric"
      maxlength={7}
      autofocus={props.autofocus}
      spellcheck={false}
    />
  )
}

/** The recovery codes, shown once, with a plain-text download. */
export function RecoveryCodesCard(props: { codes: string[]; appName: string; first: boolean }) {
  const text = `${props.appName} recovery codes (each works once):\n\n${props.codes.join('\n')}\n`
  return (
    <Card id="recovery-codes" title="Save your recovery codes">
      {props.first && <Alert kind="success">Two-factor sign-in is on.</Alert>}
      <p>
        If you lose your phone, each of these codes signs you in once instead of an app code. They
        are shown only now: save them somewhere safe, such as your password manager.
      </p>
      <ul class="codes" role="list" id="recovery-code-list">
        {props.codes.map((code) => (
          <li>
            <code>{code}</code>
          </li>
        ))}
      </ul>
      <p>
        <a
          href={`data:text/plain;charset=utf-8,${encodeURIComponent(text)}`}
          download="recovery-codes.txt"
        >
          Download as a text file
        </a>
      </p>
      <p class="switch">
        <HxLink href="/account/two-factor">I have saved them</HxLink>
      </p>
    </Card>
  )
}

/** The second step of a sign-in: the app's code, or a recovery code instead. */
export function SecondStepCard(props: {
  recovery: boolean
  failure?: string
  /** Where to go after signing in: a path `safeNext` accepted. */
  next?: string
}) {
  const { recovery, next } = props
  const app = '/login/two-factor'
  return (
    <Card id="second-step" title={recovery ? 'Use a recovery code' : 'Enter your code'}>
      {props.failure && <Alert kind="error">{props.failure}</Alert>}
      <HxForm
        action={recovery ? `${app}/recovery` : app}
        label={recovery ? 'Sign in with a recovery code' : 'Sign in with your authenticator code'}
      >
        {recovery ? (
          <Field
            name="code"
            label="Recovery code"
            hint="One of the codes you saved when you turned on two-factor sign-in."
            autocomplete="off"
            maxlength={20}
            autofocus
            spellcheck={false}
            autocapitalize="none"
          />
        ) : (
          <>
            <p>Open your authenticator app and enter the code it shows for this account.</p>
            <CodeField autofocus />
          </>
        )}
        <NextField next={next} />
        <SubmitButton>Sign in</SubmitButton>
      </HxForm>
      <p class="switch">
        <HxLink href={withNext(recovery ? app : `${app}/recovery`, next)}>
          {recovery ? 'Use your authenticator app instead' : 'Use a recovery code instead'}
        </HxLink>
      </p>
      {/* Shown by /js/passkeys.js only where the browser has WebAuthn (features/passkeys). */}
      <p class="switch" data-passkey-only hidden>
        <a href={withNext(`${app}/passkey`, next)}>Use a passkey instead</a>
      </p>
    </Card>
  )
}

/** The pending sign-in is gone (expired, spent, out of tries, or another browser's). */
export function StartOverCard(props: { next?: string }) {
  return (
    <Card id="second-step" title="Sign in again">
      <Alert kind="error">
        This sign-in has expired or had too many wrong codes. Sign in again with your password.
      </Alert>
      <p class="switch">
        <HxLink href={withNext('/', props.next)}>Sign in</HxLink>
      </p>
    </Card>
  )
}
