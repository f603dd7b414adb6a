import { fieldErrors } from '../forms'
import { sValidator } from '@hono/standard-validator'
import type { Context } from 'hono'
import { Hono } from 'hono/tiny'
import { createMiddleware } from 'hono/factory'
import type { HtmlEscapedString } from 'hono/utils/html'
import type { ContentfulStatusCode } from 'hono/utils/http-status'
import * as v from 'valibot'
import {
  endSessionSchema,
  passwordChangeSchema,
  passwordCheckSchema,
  passwordContext,
  usernameSchema,
} from '../account-forms'
import { audit } from '../audit'
import { recheckPassword } from '../recheck-password'
import { VerifyReminder } from '../views/recovery'
import { hashPassword } from '../auth/passwords'
import { breachedPasswordMessage } from '../auth/pwned-passwords'
import { endAllSessions, type LiveSession } from '../auth/sessions'
import { keyedHash, succeeded } from '../auth/throttle'
import { deleteOwnSession, listUserSessions } from '../db/sessions'
import { deleteAccount, updatePasswordHash, updateUsername } from '../db/users'
import type { AppEnv } from '../env'
import { setFlash, takeFlash } from '../flash'
import { dropSessionCookie, rotateSession, signOut, withSession } from '../session-cookie'
import {
  AccountCard,
  DeleteCard,
  DeleteForm,
  OthersForm,
  PasswordCard,
  PasswordForm,
  SessionsCard,
  UsernameCard,
  UsernameForm,
} from '../views/account'
import { isPartial, navigate, render } from '../views/render'

type C = Context<AppEnv>
type Content = HtmlEscapedString | Promise<HtmlEscapedString>

export const accountRoutes = new Hono<AppEnv>()

/** The signed-in user: every route here runs behind the guard below, so there always is one. */
function me(c: C): LiveSession {
  const auth = c.var.auth
  if (!auth) throw new Error('account route reached without a session')
  return auth
}

accountRoutes.use(withSession, async (c, next) => {
  // ASVS 14.3.2: account pages, their answers and their errors are never kept by the browser.
  c.header('Cache-Control', 'no-store')
  if (!c.var.auth) return navigate(c, '/')
  await next()
})

/**
 * A refused form: for htmx, the form alone (it replaces itself, `outerHTML`); without JavaScript,
 * the whole page around it.
 */
function refuse(c: C, status: ContentfulStatusCode, title: string, form: Content, page: Content) {
  if (!isPartial(c)) return render(c, title, page, status)
  c.header('Vary', 'HX-Request, HX-Request-Type, HX-History-Restore-Request')
  return c.html(form, status)
}

type FormResult<T> = { target: 'form'; data: T } & (
  { success: true } | { success: false; error: Parameters<typeof fieldErrors>[0] }
)

/**
 * `sValidator('form', schema, hook)` for a schema that depends on the request, typed like the
 * static one so the handler reads `c.req.valid('form')`.
 */
function formOf<S extends v.GenericSchema>(
  schemaFor: (c: C) => S,
  hook: (result: FormResult<v.InferInput<S>>, c: C) => Response | Promise<Response> | undefined,
) {
  type Valid = { in: { form: v.InferInput<S> }; out: { form: v.InferOutput<S> } }
  return createMiddleware<AppEnv, string, Valid>(async (c, next) => {
    const validate = sValidator('form', schemaFor(c), hook as never)
    return (await validate(c as never, next)) as Response | void
  })
}

accountRoutes.get('/', (c) => {
  const { username, email, memberSince, emailVerified } = me(c)
  const flash = takeFlash(c)
  const remind = c.var.config.emailVerification !== 'off' && emailVerified === false
  return c.render(
    <AccountCard
      username={username}
      email={email}
      memberSince={memberSince}
      flash={flash}
      notice={remind ? <VerifyReminder /> : undefined}
    />,
    { title: 'Your account' },
  )
})

// Username: signup's rules. No password re-check: a display name grants no access.
accountRoutes.get('/username', (c) =>
  render(c, 'Change username', <UsernameCard value={me(c).username} />),
)

accountRoutes.post(
  '/username',
  sValidator('form', usernameSchema, (result, c: C) => {
    if (result.success) return
    const value = typeof result.data.username === 'string' ? result.data.username.trim() : ''
    const error = fieldErrors<'username'>(result.error).username
    return refuse(
      c,
      422,
      'Change username',
      <UsernameForm value={value} error={error} />,
      <UsernameCard value={value} error={error} />,
    )
  }),
  async (c) => {
    const { username } = c.req.valid('form')
    await updateUsername(c.var.db, me(c).userId, username)
    setFlash(c, { notice: 'account_changed', change: 'username' })
    return navigate(c, '/account')
  },
)

// Password: ASVS 6.2.2 / 6.2.3 (current and new), 7.4.3 (other sessions end), 7.2.4 (new id).
accountRoutes.get('/password', (c) => {
  const min = c.var.config.passwordMinLength
  return render(c, 'Change password', <PasswordCard passwordMinLength={min} />)
})

accountRoutes.post(
  '/password',
  // The new password's rules depend on the configured minimum and on who is asking, so the schema
  // is made per request.
  formOf(
    (c) => passwordChangeSchema(c.var.config.passwordMinLength, passwordContext(me(c))),
    (result, c) => {
      if (result.success) return
      return passwordRefused(c, 422, fieldErrors(result.error), 'Check the highlighted fields.')
    },
  ),
  async (c) => {
    const { db, config } = c.var
    const auth = me(c)
    const form = c.req.valid('form')
    // The breached-password range check runs beside the re-check (ASVS 6.2.12).
    const [recheck, breached] = await Promise.all([
      recheckPassword(c, form.current_password),
      breachedPasswordMessage(form.new_password, config.pwnedPasswordsUrl),
    ])
    if (!recheck.ok) {
      await audit(c, 'password_change', recheck.outcome, { userId: auth.userId })
      const errors = recheck.status === 400 ? { current_password: recheck.message } : {}
      return passwordRefused(c, recheck.status, errors, recheck.message)
    }
    if (breached) {
      // The current password was right: that attempt is settled as a success.
      await succeeded(db, recheck.rules)
      return passwordRefused(c, 422, { new_password: breached }, 'Check the highlighted fields.')
    }
    const passwordHash = hashPassword(form.new_password, config.bcryptCost)
    const [, ended] = await Promise.all([
      updatePasswordHash(db, auth.userId, passwordHash),
      endAllSessions(db, auth.userId, auth.idHash),
      succeeded(db, recheck.rules),
    ])
    // Only after the others are gone: the fresh session must not be among the ones ended.
    await rotateSession(c)
    await audit(c, 'password_change', 'success', { userId: auth.userId, count: ended })
    setFlash(c, { notice: 'account_changed', change: 'password' })
    return navigate(c, '/account')
  },
)

function passwordRefused(
  c: C,
  status: 400 | 422 | 429,
  errors: Parameters<typeof PasswordForm>[0]['errors'],
  failure: string,
) {
  const min = c.var.config.passwordMinLength
  return refuse(
    c,
    status,
    'Change password',
    <PasswordForm errors={errors} failure={failure} passwordMinLength={min} />,
    <PasswordCard errors={errors} failure={failure} passwordMinLength={min} />,
  )
}

// Sessions: ASVS 7.5.2, list and end them. One read for the session, one for the list.
type OthersProps = Parameters<typeof OthersForm>[0]

async function sessionsPage(
  c: C,
  status: ContentfulStatusCode = 200,
  failure?: string,
  others?: OthersProps,
) {
  const { db, config } = c.var
  const auth = me(c)
  const list = await listUserSessions(db, auth.userId, new Date(), config.sessionAbsoluteSeconds)
  const flash = status === 200 ? takeFlash(c) : undefined
  return render(
    c,
    'Your sessions',
    <SessionsCard
      sessions={list}
      currentIdHash={auth.idHash}
      flash={flash}
      failure={failure}
      others={others}
    />,
    status,
  )
}

/** A refused "sign out everywhere else": the form for htmx, the sessions page without it. */
function othersRefused(c: C, status: 400 | 422 | 429, others: OthersProps) {
  if (!isPartial(c)) return sessionsPage(c, status, undefined, others)
  const form = <OthersForm {...others} />
  return refuse(c, status, 'Your sessions', form, form)
}

accountRoutes.get('/sessions', (c) => sessionsPage(c))

// Ending one listed session needs no password: it only takes access away. The id hash comes from
// the form, so the delete is bound to this user: another user's id hash matches nothing.
accountRoutes.post(
  '/sessions/end',
  sValidator('form', endSessionSchema, (result, c: C) => {
    if (result.success) return
    return sessionsPage(c, 422, fieldErrors<'session'>(result.error).session)
  }),
  async (c) => {
    const { db } = c.var
    const auth = me(c)
    const { session } = c.req.valid('form')
    if (session === auth.idHash) {
      await signOut(c)
      await audit(c, 'session_end', 'success', { userId: auth.userId, count: 1 })
      setFlash(c, { notice: 'signed_out' })
      return navigate(c, '/')
    }
    if (!(await deleteOwnSession(db, auth.userId, session))) {
      await audit(c, 'session_end', 'failure', { userId: auth.userId, reason: 'not_found' })
      return sessionsPage(c, 404, 'That session is not in your list: it may have ended already.')
    }
    await audit(c, 'session_end', 'success', { userId: auth.userId, count: 1 })
    setFlash(c, { notice: 'account_changed', change: 'session_ended' })
    return navigate(c, '/account/sessions')
  },
)

// "Sign out everywhere else" re-checks the password (sudo mode, see recheckPassword): it is the
// bulk action the issue lists as sensitive, and the re-check doubles as a confirmation.
accountRoutes.post(
  '/sessions/others',
  sValidator('form', passwordCheckSchema, (result, c: C) => {
    if (result.success) return
    return othersRefused(c, 422, { error: fieldErrors<'password'>(result.error).password })
  }),
  async (c) => {
    const { db } = c.var
    const auth = me(c)
    const { password } = c.req.valid('form')
    const recheck = await recheckPassword(c, password)
    if (!recheck.ok) {
      await audit(c, 'session_end', recheck.outcome, { userId: auth.userId })
      const error = recheck.status === 400 ? recheck.message : undefined
      return othersRefused(c, recheck.status, { error, failure: recheck.message })
    }
    const [ended] = await Promise.all([
      endAllSessions(db, auth.userId, auth.idHash),
      succeeded(db, recheck.rules),
    ])
    await audit(c, 'session_end', 'success', { userId: auth.userId, count: ended })
    setFlash(c, { notice: 'account_changed', change: 'others_ended' })
    return navigate(c, '/account/sessions')
  },
)

// Deletion: ASVS 7.4.2. Password re-checked (sudo mode); then everything in one transaction.
accountRoutes.get('/delete', (c) => render(c, 'Delete account', <DeleteCard />))

accountRoutes.post(
  '/delete',
  sValidator('form', passwordCheckSchema, (result, c: C) => {
    if (result.success) return
    const error = fieldErrors<'password'>(result.error).password
    return refuse(
      c,
      422,
      'Delete account',
      <DeleteForm error={error} />,
      <DeleteCard error={error} />,
    )
  }),
  async (c) => {
    const { db, config } = c.var
    const auth = me(c)
    const { password } = c.req.valid('form')
    const recheck = await recheckPassword(c, password)
    if (!recheck.ok) {
      await audit(c, 'account_delete', recheck.outcome, { userId: auth.userId })
      const error = recheck.status === 400 ? recheck.message : undefined
      return refuse(
        c,
        recheck.status,
        'Delete account',
        <DeleteForm error={error} failure={recheck.message} />,
        <DeleteCard error={error} failure={recheck.message} />,
      )
    }
    // The account's own throttle row goes with it; pair and address rows hold no email (keyed
    // hashes) and expire with their windows.
    const hash = await keyedHash(config.sessionSecret)
    await deleteAccount(db, auth.userId, [await hash(`account\n${auth.email}`)])
    // The session row went with the rest: only the cookie is left to expire.
    dropSessionCookie(c)
    await succeeded(db, recheck.rules)
    await audit(c, 'account_delete', 'success', { userId: auth.userId })
    setFlash(c, { notice: 'account_deleted' })
    return navigate(c, '/signup')
  },
)
