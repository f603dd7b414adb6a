import type { Child } from 'hono/jsx'
import { describeUserAgent } from '../../core/http/user-agent'
import {
  Alert,
  Card,
  Field,
  FlashAlert,
  HxForm,
  HxLink,
  SecondFactorField,
  SudoPasswordField,
  SubmitButton,
  When,
} from '../../core/ui/components'
import type { Flash } from '../../core/ui/flash'
import type { FoundUser, UserDetail } from './queries'

export const LOCK_REASON_MAX = 200

export function SearchCard(props: { q: string; page: number; users: FoundUser[]; more: boolean }) {
  const at = (page: number) => `/admin?q=${encodeURIComponent(props.q)}&page=${page}`
  return (
    <Card id="admin" title="Admin: users">
      <form method="get" action="/admin" role="search" aria-label="Search users">
        <Field
          name="q"
          label="Email, username or id"
          hint="Matches the start of an email or username, or an exact id."
          value={props.q}
          autocomplete="off"
          maxlength={254}
        />
        <SubmitButton>Search</SubmitButton>
      </form>
      {props.users.length === 0 ? (
        <p>No users match.</p>
      ) : (
        <ul class="admin-users" role="list">
          {props.users.map((u) => (
            <li>
              <HxLink href={`/admin/users/${u.id}`}>{u.email}</HxLink> {u.username} (id {u.id})
              {u.admin && ' · admin'}
              {u.locked && ' · locked'}
            </li>
          ))}
        </ul>
      )}
      <nav aria-label="Result pages" class="switch">
        {props.page > 1 && <HxLink href={at(props.page - 1)}>Previous page</HxLink>}{' '}
        {props.more && <HxLink href={at(props.page + 1)}>Next page</HxLink>}
      </nav>
      <p class="switch">
        <HxLink href="/account">Back to your account</HxLink>
      </p>
    </Card>
  )
}

/** A refusal of one action's form, shown at that form. */
export interface ActionError {
  action: string
  message: string
  field?: string
}

/** What sudo mode asks of the admin acting (their own account's factors). */
interface AdminSudo {
  twoFactor: boolean
  hasPassword: boolean
}

function Sudo(props: AdminSudo & { action: string; error?: ActionError }) {
  const mine = props.error?.action === props.action ? props.error : undefined
  return (
    <>
      {mine && !mine.field && <Alert kind="error">{mine.message}</Alert>}
      <SudoPasswordField
        hasPassword={props.hasPassword}
        label="Your password"
        error={mine?.field === 'password' ? mine.message : undefined}
        idPrefix={`${props.action}-`}
      />
      <SecondFactorField
        twoFactor={props.twoFactor}
        error={mine?.field === 'second_factor' ? mine.message : undefined}
        idPrefix={`${props.action}-`}
      />
    </>
  )
}

function ActionForm(props: {
  user: UserDetail
  action: string
  label: string
  sudo: AdminSudo
  error?: ActionError
  children?: Child
}) {
  return (
    <HxForm action={`/admin/users/${props.user.id}/${props.action}`} label={props.label}>
      <h3>{props.label}</h3>
      {props.children}
      <Sudo {...props.sudo} action={props.action} error={props.error} />
      <SubmitButton>{props.label}</SubmitButton>
    </HxForm>
  )
}

export function UserCard(props: {
  user: UserDetail
  activity: Child
  sudo: AdminSudo
  flash?: Flash
  error?: ActionError
  values?: { reason?: string; until?: string }
}) {
  const u = props.user
  const common = { user: u, sudo: props.sudo, error: props.error }
  const lockError = props.error?.action === 'lock' ? props.error : undefined
  const hasFactors = u.factors.some((f) => f.removable && f.count > 0)
  const shown = u.admin
    ? []
    : [
        u.locked ? 'unlock' : 'lock',
        'sign-out',
        ...(u.emailVerifiedAt ? [] : ['resend-verification']),
        ...(hasFactors ? ['remove-factors'] : []),
      ]
  // A refusal of an action whose form is not on the page (nothing to do, an admin's account).
  const orphan = props.error && !shown.includes(props.error.action) ? props.error : undefined
  return (
    <Card id="admin-user" title={`User ${u.id}`}>
      <FlashAlert flash={props.flash} />
      {orphan && <Alert kind="error">{orphan.message}</Alert>}
      <dl class="account-facts">
        <dt>Username</dt>
        <dd>{u.username}</dd>
        <dt>Email</dt>
        <dd>
          {u.email} ({u.emailVerifiedAt ? 'confirmed' : 'not confirmed'})
        </dd>
        <dt>Member since</dt>
        <dd>
          <When at={u.memberSince} withTime={false} />
        </dd>
        <dt>Role</dt>
        <dd>{u.admin ? 'admin' : 'user'}</dd>
        <dt>Status</dt>
        <dd>
          {u.locked ? (
            <>
              locked
              {u.lockedAt && (
                <>
                  {' '}
                  since <When at={u.lockedAt} />
                </>
              )}
              {u.lockedUntil && (
                <>
                  {' '}
                  until <When at={u.lockedUntil} />
                </>
              )}
              {u.lockReason && <>: {u.lockReason}</>}
            </>
          ) : (
            'can sign in'
          )}
        </dd>
        {u.factors.map((f) => (
          <>
            <dt>{f.label}</dt>
            <dd>{f.label === 'Authenticator app' ? (f.count ? 'set up' : 'none') : f.count}</dd>
          </>
        ))}
      </dl>
      <h2>Live sessions ({u.sessions.length})</h2>
      <ul class="sessions" role="list">
        {u.sessions.map((s) => (
          <li class="session">
            <strong>{describeUserAgent(s.userAgent)}</strong>
            <p class="hint">
              {s.location ? `${s.location} · ` : ''}started <When at={s.createdAt} />, last active{' '}
              <When at={s.lastSeenAt} />
            </p>
          </li>
        ))}
      </ul>
      <h2>Recent activity</h2>
      {props.activity}
      <h2>Actions</h2>
      {u.admin ? (
        <p>
          This is an admin's account: it cannot be changed from the console. Roles change only from
          the command line.
        </p>
      ) : (
        <>
          <p>Each action asks for your password again, is audited and is told to the user.</p>
          {u.locked ? (
            <ActionForm {...common} action="unlock" label="Unlock the account" />
          ) : (
            <ActionForm {...common} action="lock" label="Lock the account">
              <Field
                name="reason"
                label="Reason (kept for support)"
                value={props.values?.reason}
                error={lockError?.field === 'reason' ? lockError.message : undefined}
                autocomplete="off"
                maxlength={LOCK_REASON_MAX}
              />
              <LockUntil value={props.values?.until} error={lockError} />
            </ActionForm>
          )}
          <ActionForm {...common} action="sign-out" label="Sign out everywhere" />
          {!u.emailVerifiedAt && (
            <ActionForm
              {...common}
              action="resend-verification"
              label="Send the confirmation link again"
            />
          )}
          {hasFactors && (
            <ActionForm {...common} action="remove-factors" label="Remove the second factors" />
          )}
        </>
      )}
      <p class="switch">
        <HxLink href="/admin">Back to the users</HxLink>
      </p>
    </Card>
  )
}

// Optional, so not a `Field` (which marks its input required).
function LockUntil(props: { value?: string; error?: ActionError }) {
  const error = props.error?.field === 'until' ? props.error.message : undefined
  return (
    <div class={error ? 'field invalid' : 'field'}>
      <label for="field-until">Locked until (optional)</label>
      <p class="hint" id="field-until-hint">
        A date in UTC; empty to lock until someone unlocks it.
      </p>
      <input
        id="field-until"
        name="until"
        type="date"
        value={props.value}
        aria-invalid={error ? 'true' : undefined}
        aria-describedby={error ? 'field-until-hint field-until-error' : 'field-until-hint'}
      />
      {error && (
        <p class="field-error" id="field-until-error">
          {error}
        </p>
      )}
    </div>
  )
}
