import type { Context } from 'hono'
import { Hono } from 'hono/tiny'
import * as v from 'valibot'
import { findUserByEmail } from '../../core/db/users'
import { changeCredentials, forgetCredentials } from '../../core/lifecycle'
import type { AppEnv } from '../../core/env'
import { emailField, newPasswordField, text } from '../../core/forms/fields'
import { fieldProblem, keptValues, validForm } from '../../core/forms/validate'
import { audit } from '../../core/http/audit'
import { nextFrom, safeNext, withNext } from '../../core/http/next'
import { forgetLinkToken, landLink, linkPageHeaders, linkToken } from '../../core/http/link-token'
import { afterResponse, deliver, linkOrigin, mailAllowedFor } from '../../core/mail/deliver'
import { breachedPasswordMessage } from '../../core/passwords/breached'
import { hashPassword } from '../../core/passwords/hash'
import { passwordContext } from '../../core/passwords/rules'
import { accountThrottleKey } from '../../core/security/throttle'
import { issueSecret, peekSecret } from '../../core/security/secrets'
import { HxLink } from '../../core/ui/components'
import { defineNotice, setFlash } from '../../core/ui/flash'
import { invalidLink as invalid } from '../../core/ui/link-invalid'
import { navigate, render } from '../../core/ui/render'
import { passwordChangedMail, passwordResetMail } from './mail'
import { resetSecret } from './secret'
import { ForgotCard, ForgotSentCard, ResetCard } from './views'

export const passwordResetRoutes = new Hono<AppEnv>()

const RESET_COOKIE = 'reset'
const RESET_DONE = defineNotice(
  'password_reset',
  'Your password was changed and every session was signed out. Sign in with it now.',
)

const invalidLink = (c: Context) =>
  invalid(
    c,
    RESET_COOKIE,
    <p>
      <HxLink href="/forgot">Ask for a new link</HxLink>
    </p>,
  )

// ---- Forgot password ------------------------------------------------------------------------------

// `next` (where a sign-in was going) rides through the whole reset: the forms, the mailed link and
// the sign-in page it ends on, so the person lands where they were going once signed in.
passwordResetRoutes.get('/forgot', (c) =>
  render(c, 'Forgot password', <ForgotCard next={safeNext(c.req.query('next'))} />),
)

// Only the shape of what was typed decides this answer, never the database.
const forgotForm = validForm(
  () => v.object({ email: emailField }),
  (c, errors, raw) => {
    const email = keptValues(raw, ['email']).email
    const card = <ForgotCard email={email} error={errors.email} next={safeNext(raw.next)} />
    return render(c, 'Forgot password', card, 422)
  },
)

passwordResetRoutes.post('/forgot', forgotForm, async (c) => {
  const { email } = c.req.valid('form')
  const next = await nextFrom(c)
  // ASVS 6.3.8: the same answer, status and timing for every address. Throttling, lookup, token and
  // sending all happen after the response.
  afterResponse(c, 'reset', async () => {
    const { config, db } = c.var
    const { allowed, found: user } = await mailAllowedFor(
      c,
      'reset',
      email,
      findUserByEmail(db, email),
      (user) => user !== undefined,
    )
    if (!allowed || !user) return
    const token = await issueSecret(db, resetSecret(config), { userId: user.id })
    const link = withNext(`${linkOrigin(c)}/reset/${token}`, next)
    const minutes = config.resetTokenMinutes
    await deliver(c, 'reset', passwordResetMail(config.appName, user.email, link, minutes))
  })
  return navigate(c, withNext('/forgot/sent', next))
})

passwordResetRoutes.get('/forgot/sent', (c) =>
  render(
    c,
    'Check your inbox',
    <ForgotSentCard
      minutes={c.var.config.resetTokenMinutes}
      next={safeNext(c.req.query('next'))}
    />,
  ),
)

// ---- Reset ----------------------------------------------------------------------------------------

passwordResetRoutes.get('/reset/:token{[^/]+}', (c) =>
  landLink(
    c,
    resetSecret(c.var.config),
    RESET_COOKIE,
    withNext('/reset', safeNext(c.req.query('next'))),
  ),
)

passwordResetRoutes.get('/reset', async (c) => {
  linkPageHeaders(c)
  const { config, db } = c.var
  const holder = await peekSecret(db, resetSecret(config), linkToken(c, RESET_COOKIE))
  if (!holder) return invalidLink(c)
  const min = config.passwordMinLength
  const next = safeNext(c.req.query('next'))
  const card = <ResetCard email={holder.email} passwordMinLength={min} next={next} />
  return render(c, 'New password', card)
})

// The password's rules need the account's own words, known once the token is read: the field is
// checked by the same schema in the handler.
const resetForm = validForm(
  () => v.object({ password: text }),
  (c, _errors, raw) => navigate(c, withNext('/reset', safeNext(raw.next))),
)

passwordResetRoutes.post('/reset', resetForm, async (c) => {
  linkPageHeaders(c)
  const { config, db } = c.var
  const { password } = c.req.valid('form')
  const next = await nextFrom(c)
  const token = linkToken(c, RESET_COOKIE)
  // The breached-password range check runs beside the token read (ASVS 6.2.12).
  const [holder, breached] = await Promise.all([
    peekSecret(db, resetSecret(config), token),
    password === '' ? null : breachedPasswordMessage(password, config.pwnedPasswordsUrl),
  ])
  if (!holder) return invalidLink(c)
  // The signup rules, with this account's name and address as context words (ASVS 6.2.4).
  const rule = newPasswordField(config.passwordMinLength, passwordContext(holder))
  const problem = fieldProblem(rule, password) ?? breached
  if (problem) {
    const min = config.passwordMinLength
    const card = (
      <ResetCard email={holder.email} error={problem} passwordMinLength={min} next={next} />
    )
    return render(c, 'New password', card, 422)
  }
  const passwordHash = hashPassword(password, config.bcryptCost)
  // ASVS 7.4.3 / 6.4.3: a reset ends every session, wherever it is, and voids any a login racing
  // it may still insert (a new credential generation). The user's other links go too: an email
  // change someone else started with the old password must not outlive the reset (OWASP: a reset
  // invalidates what the old credentials set in motion). The account's sign-in delay and its run
  // of failures are cleared: the owner proved the mailbox. One transaction, which also spends the
  // link: only the request whose delete removed it goes on, and a failure keeps it.
  const accountKey = await accountThrottleKey(config.sessionSecret, holder.email)
  const changed = await changeCredentials(db, holder.userId, {
    passwordHash,
    confirmEmailAt: new Date(),
    throttleKeyHashes: [accountKey],
    spending: token,
    // An address never confirmed until this link: the ways in set up before go too (passkeys,
    // identities), as whoever set them may not own the inbox (lifecycle.ts).
    alongside: holder.emailVerifiedAt
      ? undefined
      : (tx) => forgetCredentials(tx, c.var.features, holder.userId),
  })
  if (!changed) return invalidLink(c)
  const { ended } = changed
  forgetLinkToken(c, RESET_COOKIE)
  await audit(c, 'password_reset', 'success', { userId: holder.userId, count: ended })
  // The person signs in with the new password rather than being signed in here: the link proves
  // control of the inbox, not knowledge of the password; signing in once confirms the password
  // manager kept it, and the sign-in door stays the one place that throttles, audits and will ask
  // for a second factor (ASVS 6.4 allows either).
  setFlash(c, RESET_DONE)
  afterResponse(c, 'password_changed', () =>
    deliver(
      c,
      'password_changed',
      passwordChangedMail(config.appName, holder.email, linkOrigin(c)),
    ),
  )
  return navigate(c, withNext('/', next))
})
