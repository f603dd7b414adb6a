import type { Context } from 'hono'
import { Hono } from 'hono/tiny'
import type { ContentfulStatusCode } from 'hono/utils/http-status'
import * as v from 'valibot'
import type { AppEnv } from '../../core/env'
import { sudoPasswordField, text } from '../../core/forms/fields'
import { fieldErrors } from '../../core/forms/validate'
import { audit } from '../../core/http/audit'
import { notFound } from '../../core/http/errors'
import { changeCredentials } from '../../core/lifecycle'
import { afterResponse, deliver } from '../../core/mail/deliver'
import type { SignedInContext, SignedInEnv } from '../../core/sessions/guard'
import { reauthenticate } from '../../core/signin/reauth'
import { succeeded } from '../../core/security/throttle'
import { defineNotice, setFlash, takeFlash, type Notice } from '../../core/ui/flash'
import { navigate, render } from '../../core/ui/render'
import { ActivityList, recentEvents } from '../activity'
import { sendVerification } from '../email-verification'
import { adminOnly } from './guard'
import { factorsRemovedMail, lockedMail, signedOutMail, unlockedMail } from './mail'
import { findTarget, findUserDetail, searchUsers, unlockUser } from './queries'
import { LOCK_REASON_MAX, SearchCard, UserCard, type ActionError } from './views'

export const adminRoutes = new Hono<SignedInEnv>()

// Every console route, and every path under it that matches none, answers non-admins with 404
// (Hono's `/admin/*` matches `/admin` itself too).
adminRoutes.use('/admin/*', adminOnly)

const Q_MAX = 254

// Two statements: the session read, then one page of matches (one row past it tells of the next).
adminRoutes.get('/admin', async (c) => {
  const q = (c.req.query('q') ?? '').trim().normalize('NFC')
  const rawPage = c.req.query('page') ?? '1'
  const page = /^[1-9]\d{0,3}$/.test(rawPage) ? Number(rawPage) : 1
  if (q.length > Q_MAX) {
    return render(c, 'Admin: users', <SearchCard q="" page={1} users={[]} more={false} />, 422)
  }
  // Emails are stored lower case (core/forms/email.ts): a search by email matches as typed.
  const found = await searchUsers(c.var.db, q.includes('@') ? q.toLowerCase() : q, page)
  return render(c, 'Admin: users', <SearchCard q={q} page={page} {...found} />)
})

const ID = ':id{[1-9][0-9]{0,14}}'

/** The user page: the session, then the user with factors and sessions beside the activity (3). */
async function userPage(
  c: SignedInContext,
  id: number,
  opts: {
    status?: ContentfulStatusCode
    error?: ActionError
    values?: Record<string, string>
  } = {},
) {
  const { db, config, features, auth } = c.var
  const factorCounts = features.flatMap((f) =>
    (f.factorCounts ?? []).map((count) => ({ ...count, removable: !!f.removeFactors })),
  )
  const now = new Date()
  const [user, events] = await Promise.all([
    findUserDetail(db, id, factorCounts, now, config.sessionAbsoluteSeconds),
    recentEvents(db, id),
  ])
  if (!user) return notFound(c)
  const status = opts.status ?? 200
  return render(
    c,
    `User ${id}`,
    <UserCard
      user={user}
      activity={<ActivityList events={events} />}
      sudo={{ twoFactor: auth.twoFactor, hasPassword: auth.hasPassword }}
      flash={status === 200 ? takeFlash(c) : undefined}
      error={opts.error}
      values={opts.values}
    />,
    status,
  )
}

adminRoutes.get(`/admin/users/${ID}`, (c) => userPage(c, Number(c.req.param('id'))))

const DONE: Record<string, Notice> = {
  lock: defineNotice('admin_locked', 'The account is locked and signed out everywhere.'),
  unlock: defineNotice('admin_unlocked', 'The account is unlocked.'),
  'sign-out': defineNotice('admin_signed_out', 'The account is signed out everywhere.'),
  'resend-verification': defineNotice('admin_resent', 'A new confirmation link is on its way.'),
  'remove-factors': defineNotice('admin_factors', 'The second factors are removed.'),
}

const sudoSchema = (hasPassword: boolean) => v.object({ password: sudoPasswordField(hasPassword) })
const lockSchema = (hasPassword: boolean) =>
  v.object({
    password: sudoPasswordField(hasPassword),
    reason: v.pipe(
      text,
      v.transform((s) => s.trim().normalize('NFC')),
      v.nonEmpty('Say why the account is locked.'),
      v.maxLength(LOCK_REASON_MAX, `At most ${LOCK_REASON_MAX} characters.`),
    ),
    until: v.pipe(
      text,
      v.transform((s) => s.trim()),
      v.check((s) => s === '' || /^\d{4}-\d{2}-\d{2}$/.test(s), 'Give a date as YYYY-MM-DD.'),
    ),
  })

/** The end of a lock from its form field: midnight UTC of that date, which must be ahead. */
function lockEnd(until: string, now: Date): Date | null | 'invalid' {
  if (!until) return null
  const end = new Date(`${until}T00:00:00Z`)
  if (Number.isNaN(end.getTime()) || end.toISOString().slice(0, 10) !== until) return 'invalid'
  return end > now && end.getUTCFullYear() < 10000 ? end : 'invalid'
}

/**
 * Every console action: the target must exist and must not be an admin (no admin acts on another
 * admin's account: Better Auth issue 6448), the admin re-authenticates (sudo mode, ASVS 6.2.3 and
 * Pilcrow's guide), then the action, its audit line (ASVS 16.3.1, in the user's activity too) and
 * the user's mail (ASVS 6.3.7) after the answer.
 */
adminRoutes.post(
  `/admin/users/${ID}/:action{lock|unlock|sign-out|resend-verification|remove-factors}`,
  async (c) => {
    const { db, config, auth } = c.var
    const id = Number(c.req.param('id'))
    const action = c.req.param('action')
    const body = await c.req.parseBody().catch(() => undefined)
    if (!body) return c.text('Bad request', 400)
    // Only the factors "remove the second factors" removes count for it.
    const removable = c.var.features.flatMap((f) => (f.removeFactors && f.factorCounts) || [])
    const target = await findTarget(db, id, removable)
    if (!target) return notFound(c)
    const values = { reason: String(body['reason'] ?? ''), until: String(body['until'] ?? '') }
    if (target.admin) {
      // The one refusal worth spotting in the log (ASVS 16.3.1): an admin acting on another.
      await audit(c, `admin_${action.replace(/-/g, '_')}`, 'failure', {
        adminId: auth.userId,
        targetId: target.id,
        reason: 'target_is_admin',
      })
      const message = "An admin's account cannot be changed from the console."
      return userPage(c, id, { status: 403, error: { action, message } })
    }
    // The page hides an action with nothing to do, but a stale page or a hand-made post still
    // arrives: refused here (ASVS 2.3.1, steps in the expected state only), before the password is
    // asked for, with nothing changed, mailed or put in the user's activity.
    const conflict = nothingToDo(action, target)
    if (conflict) {
      await audit(c, `admin_${action.replace(/-/g, '_')}`, 'failure', {
        adminId: auth.userId,
        targetId: target.id,
        reason: conflict.reason,
      })
      return userPage(c, id, { status: 409, error: { action, message: conflict.message } })
    }
    const schema = action === 'lock' ? lockSchema : sudoSchema
    const parsed = v.safeParse(schema(auth.hasPassword), body)
    if (!parsed.success) {
      const errors = fieldErrors<string>(parsed.issues)
      const field = Object.keys(errors)[0]!
      const error = { action, field, message: errors[field]! }
      return userPage(c, id, { status: 422, error, values })
    }
    const now = new Date()
    const form = parsed.output as { password: string; reason?: string; until?: string }
    const until = lockEnd(form.until ?? '', now)
    if (until === 'invalid') {
      const error = { action, field: 'until', message: 'Give a date after today, or none.' }
      return userPage(c, id, { status: 422, error, values })
    }
    const recheck = await reauthenticate(c, auth, form.password)
    if (!recheck.ok) {
      await audit(c, `admin_${action.replace(/-/g, '_')}`, recheck.outcome, {
        userId: auth.userId,
        reason: 'reauth',
      })
      const error = { action, field: recheck.field, message: recheck.message }
      return userPage(c, id, { status: recheck.status, error, values })
    }
    await Promise.all([succeeded(db, recheck.rules), act(c, action, target, until, form.reason)])
    await audit(c, `admin_${action.replace(/-/g, '_')}`, 'success', {
      userId: target.id,
      adminId: auth.userId,
    })
    const mail = mailFor(action, config.appName, target.email, until)
    if (mail) afterResponse(c, `admin_${action}`, () => deliver(c, `admin_${action}`, mail()))
    setFlash(c, DONE[action]!)
    return navigate(c, `/admin/users/${id}`)
  },
)

/** Why an action would change nothing for this target, or undefined when it applies. */
function nothingToDo(
  action: string,
  target: { emailVerifiedAt: Date | null; locked: boolean; factors: number },
): { reason: string; message: string } | undefined {
  if (action === 'resend-verification' && target.emailVerifiedAt) {
    return {
      reason: 'already_confirmed',
      message: 'The address is already confirmed: no link sent.',
    }
  }
  if (action === 'remove-factors' && target.factors === 0) {
    return { reason: 'no_factors', message: 'The account has no second factor to remove.' }
  }
  if (action === 'unlock' && !target.locked) {
    return { reason: 'not_locked', message: 'The account is not locked.' }
  }
  if (action === 'lock' && target.locked) {
    return { reason: 'already_locked', message: 'The account is already locked.' }
  }
  return undefined
}

async function act(
  c: SignedInContext,
  action: string,
  target: { id: number; email: string },
  until: Date | null,
  reason = '',
) {
  const { db, features } = c.var
  switch (action) {
    case 'lock':
      // The lock, the generation bump, every session and pending secret: one transaction.
      return changeCredentials(db, target.id, { lock: { at: new Date(), until, reason } })
    case 'unlock':
      return unlockUser(db, target.id)
    case 'sign-out':
      return changeCredentials(db, target.id, {})
    case 'remove-factors':
      return changeCredentials(db, target.id, {
        alongside: async (tx) => {
          for (const f of features) await f.removeFactors?.(tx, target.id)
        },
      })
    case 'resend-verification':
      // Through the feature's own limits; after the answer, as every mail.
      return afterResponse(c, 'verify', () =>
        sendVerification(c as unknown as Context<AppEnv>, target),
      )
  }
}

function mailFor(action: string, app: string, to: string, until: Date | null) {
  if (action === 'lock') return () => lockedMail(app, to, until)
  if (action === 'unlock') return () => unlockedMail(app, to)
  if (action === 'sign-out') return () => signedOutMail(app, to)
  if (action === 'remove-factors') return () => factorsRemovedMail(app, to)
  return undefined
}
