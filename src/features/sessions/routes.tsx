import { Hono } from 'hono/tiny'
import type { ContentfulStatusCode } from 'hono/utils/http-status'
import * as v from 'valibot'
import { deleteOwnSession, listUserSessions } from '../../core/db/sessions'
import type { AppEnv } from '../../core/env'
import { sudoPasswordField, text } from '../../core/forms/fields'
import { validForm } from '../../core/forms/validate'
import { audit } from '../../core/http/audit'
import { changeCredentials } from '../../core/lifecycle'
import { signOut } from '../../core/sessions/cookie'
import { supersededAnswer } from '../../core/sessions/superseded'
import { signedIn, type SignedInContext } from '../../core/sessions/guard'
import { reauthenticate } from '../../core/signin/reauth'
import { succeeded } from '../../core/security/throttle'
import { defineNotice, setFlash, takeFlash } from '../../core/ui/flash'
import { isPartial, navigate, refuse, render } from '../../core/ui/render'
import { SIGNED_OUT } from '../welcome'
import { OthersForm, SessionsCard } from './views'

export const sessionsRoutes = new Hono<AppEnv>()

type OthersProps = Omit<Parameters<typeof OthersForm>[0], 'hasPassword'>
const SESSION_ENDED = defineNotice(
  'session_ended',
  'That session is ended: its device is signed out.',
)
const OTHERS_ENDED = defineNotice('others_ended', 'You are signed out everywhere else.')

// Sessions: ASVS 7.5.2, list and end them. One read for the session, one for the list.
async function sessionsPage(
  c: SignedInContext,
  status: ContentfulStatusCode = 200,
  failure?: string,
  others?: OthersProps,
) {
  const { db, config, auth } = c.var
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
      twoFactor={auth.twoFactor}
      hasPassword={auth.hasPassword}
    />,
    status,
  )
}

/** A refused "sign out everywhere else": the form for htmx, the sessions page without it. */
function othersRefused(c: SignedInContext, status: 400 | 422 | 429, others: OthersProps) {
  if (!isPartial(c)) return sessionsPage(c, status, undefined, others)
  const { twoFactor, hasPassword } = c.var.auth
  const form = <OthersForm twoFactor={twoFactor} hasPassword={hasPassword} {...others} />
  return refuse(c, status, 'Your sessions', form, form)
}

sessionsRoutes.get('/account/sessions', signedIn, (c) => sessionsPage(c))

const endForm = validForm(
  () =>
    v.object({
      session: v.pipe(text, v.regex(/^[0-9a-f]{64}$/, 'Choose a session from the list.')),
    }),
  (c, errors) => sessionsPage(c as SignedInContext, 422, errors.session),
)

// Ending one listed session needs no password: it only takes access away. The id hash comes from
// the form, so the delete is bound to this user: another user's id hash matches nothing.
sessionsRoutes.post('/account/sessions/end', signedIn, endForm, async (c) => {
  const { db, auth } = c.var
  const { session } = c.req.valid('form')
  if (session === auth.idHash) {
    await signOut(c)
    await audit(c, 'session_end', 'success', { userId: auth.userId, count: 1 })
    setFlash(c, SIGNED_OUT)
    return navigate(c, '/')
  }
  if (!(await deleteOwnSession(db, auth.userId, session))) {
    await audit(c, 'session_end', 'failure', { userId: auth.userId, reason: 'not_found' })
    return sessionsPage(c, 404, 'That session is not in your list: it may have ended already.')
  }
  await audit(c, 'session_end', 'success', { userId: auth.userId, count: 1 })
  setFlash(c, SESSION_ENDED)
  return navigate(c, '/account/sessions')
})

const othersForm = validForm(
  (c) => v.object({ password: sudoPasswordField(c.var.auth?.hasPassword) }),
  (c, errors) => othersRefused(c as SignedInContext, 422, { error: errors.password }),
)

// "Sign out everywhere else" re-checks the password (sudo mode): it is a bulk action, and the
// re-check doubles as a confirmation.
sessionsRoutes.post('/account/sessions/others', signedIn, othersForm, async (c) => {
  const { db, auth } = c.var
  const { password } = c.req.valid('form')
  const recheck = await reauthenticate(c, auth, password)
  if (!recheck.ok) {
    await audit(c, 'session_end', recheck.outcome, { userId: auth.userId })
    const error = recheck.field === 'password' ? recheck.message : undefined
    const codeError = recheck.field === 'second_factor' ? recheck.message : undefined
    return othersRefused(c, recheck.status, { error, codeError, failure: recheck.message })
  }
  // A new credential generation with this session carried over, every other session and every
  // pending secret gone, in one transaction (ASVS 7.4.3).
  const [changed] = await Promise.all([
    changeCredentials(db, auth.userId, {
      keepIdHash: auth.idHash,
      fromGeneration: auth.generation,
    }),
    succeeded(db, recheck.rules),
  ])
  // A reset, a lock or another change landed meanwhile: it ended this session too.
  if (!changed) return supersededAnswer(c)
  const { ended } = changed
  await audit(c, 'session_end', 'success', { userId: auth.userId, count: ended })
  setFlash(c, OTHERS_ENDED)
  return navigate(c, '/account/sessions')
})
