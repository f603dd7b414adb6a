import type { SessionListing } from '../../core/db/sessions'
import { describeUserAgent } from '../../core/http/user-agent'
import {
  Alert,
  BackToAccount,
  Card,
  FlashAlert,
  SecondFactorField,
  SudoPasswordField,
  HxForm,
  When,
} from '../../core/ui/components'
import type { Flash } from '../../core/ui/flash'

/** The password re-check before signing out everywhere else (see README, "sudo mode"). */
export function OthersForm(props: {
  error?: string
  failure?: string
  twoFactor?: boolean
  hasPassword: boolean
  codeError?: string
}) {
  return (
    <HxForm id="others-form" action="/account/sessions/others" label="Sign out everywhere else">
      {props.failure && <Alert kind="error">{props.failure}</Alert>}
      <SudoPasswordField
        hasPassword={props.hasPassword}
        label="Your password"
        error={props.error}
      />
      <SecondFactorField twoFactor={!!props.twoFactor} error={props.codeError} />
      <button type="submit">Sign out everywhere else</button>
    </HxForm>
  )
}

function SessionItem(props: { session: SessionListing; current: boolean }) {
  const s = props.session
  const device = describeUserAgent(s.userAgent)
  return (
    <li class={props.current ? 'session current' : 'session'}>
      <p>
        <strong>{device}</strong>
        {props.current && <span class="badge"> (this device)</span>}
      </p>
      <p class="hint">
        {s.location ? `${s.location} · ` : ''}started <When at={s.createdAt} />, last active{' '}
        <When at={s.lastSeenAt} />
      </p>
      <HxForm action="/account/sessions/end" label={`End session: ${device}`}>
        <input type="hidden" name="session" value={s.idHash} />
        <button type="submit">
          {props.current ? 'Sign out of this device' : 'End this session'}
        </button>
      </HxForm>
    </li>
  )
}

export function SessionsCard(props: {
  sessions: SessionListing[]
  currentIdHash: string
  flash?: Flash
  failure?: string
  others?: Omit<Parameters<typeof OthersForm>[0], 'hasPassword'>
  twoFactor: boolean
  hasPassword: boolean
}) {
  const others = props.sessions.filter((s) => s.idHash !== props.currentIdHash).length
  return (
    <Card id="sessions" title="Your sessions">
      <FlashAlert flash={props.flash} />
      {props.failure && <Alert kind="error">{props.failure}</Alert>}
      <p>Where your account is signed in now. End any session you do not recognise.</p>
      <ul class="sessions" role="list">
        {props.sessions.map((s) => (
          <SessionItem session={s} current={s.idHash === props.currentIdHash} />
        ))}
      </ul>
      {others > 0 && (
        <>
          <h2>Sign out everywhere else</h2>
          <p>
            Ends every session but this one.
            {props.hasPassword ? ' Enter your password to confirm.' : ''}
          </p>
          <OthersForm
            twoFactor={props.twoFactor}
            hasPassword={props.hasPassword}
            {...props.others}
          />
        </>
      )}
      <BackToAccount />
    </Card>
  )
}
