import type { Context } from 'hono'
import { Hono } from 'hono/tiny'
import * as v from 'valibot'
import { succeeded } from '../auth/throttle'
import { EMAIL_CHANGE_TOKEN_SECONDS, issueToken, peekToken, spendToken } from '../auth/tokens'
import { audit } from '../audit'
import { isDuplicateKey } from '../db/client'
import { deleteUserTokens } from '../db/tokens'
import { changeEmail, findUserByEmail } from '../db/users'
import type { AppEnv } from '../env'
import { setFlash } from '../flash'
import { currentPasswordField, emailField, keptValues, validForm, type FieldErrors } from '../forms'
import { recheckPassword } from '../recheck-password'
import { afterResponse, deliver, linkOrigin, mailAllowed } from '../mail/deliver'
import { emailChangeMail, emailChangeNoticeMail } from '../mail/templates'
import { withSession } from '../session-cookie'
import {
  EmailChangeCard,
  EmailChangeSentCard,
  EmailConfirmCard,
  EmailTakenCard,
  type EmailChangeInput,
} from '../views/recovery'
import { navigate, render } from '../views/render'
import { forgetLinkToken, invalidLink, landLink, linkToken } from './recovery'

/** Mounted at /account/email: change the address, confirmed from the new inbox. */
export const emailChangeRoutes = new Hono<AppEnv>()

const TITLE = 'Change email'
const CHECK_FIELDS = 'Check the highlighted fields.'
const CONFIRM_COOKIE = 'email_change'

emailChangeRoutes.get('/', withSession, (c) => {
  c.header('Cache-Control', 'no-store')
  const auth = c.var.auth
  if (!auth) return navigate(c, '/')
  return render(c, TITLE, <EmailChangeCard current={auth.email} />)
})

const emailChangeSchema = v.object({ email: emailField, password: currentPasswordField })

function emailChangeCard(
  c: Context<AppEnv>,
  status: 400 | 422 | 429,
  email: string,
  errors: FieldErrors<keyof EmailChangeInput>,
  failure?: string,
) {
  const current = c.var.auth?.email ?? ''
  const card = <EmailChangeCard current={current} email={email} errors={errors} failure={failure} />
  return render(c, TITLE, card, status)
}

const validEmailChange = validForm(
  () => emailChangeSchema,
  (c, errors, raw) =>
    c.var.auth
      ? emailChangeCard(c, 422, keptValues(raw, ['email']).email ?? '', errors, CHECK_FIELDS)
      : navigate(c, '/'),
)

emailChangeRoutes.post('/', withSession, validEmailChange, async (c) => {
  c.header('Cache-Control', 'no-store')
  const { config, db } = c.var
  const auth = c.var.auth
  if (!auth) return navigate(c, '/')
  const { email, password } = c.req.valid('form')
  if (email === auth.email) {
    return emailChangeCard(c, 422, email, { email: 'This is already your address.' }, CHECK_FIELDS)
  }
  // Re-authentication for a sensitive change, counted by the sign-in throttle (recheckPassword).
  const recheck = await recheckPassword(c, password)
  if (!recheck.ok) {
    await audit(c, 'email_change', recheck.outcome, { userId: auth.userId, reason: 'password' })
    if (recheck.status === 429) return emailChangeCard(c, 429, email, {}, recheck.message)
    return emailChangeCard(c, 400, email, { password: recheck.message })
  }
  const user = { id: auth.userId, email: auth.email }
  await succeeded(db, recheck.rules)
  await audit(c, 'email_change', 'success', { userId: user.id, reason: 'requested' })
  // Whether the new address is free is found out after the answer: a taken address gets the same
  // answer and nothing changes (ASVS 6.3.8). The old address hears of it either way (OWASP).
  afterResponse(c, 'email_change', async () => {
    const notice = emailChangeNoticeMail(config.appName, user.email, email, linkOrigin(c))
    const [owner, allowed] = await Promise.all([
      findUserByEmail(db, email),
      mailAllowed(c, 'email_change', email),
      deliver(c, 'email_change_notice', notice),
    ])
    if (owner || !allowed) return
    const token = await issueToken(db, {
      userId: user.id,
      purpose: 'email_change',
      ttlSeconds: EMAIL_CHANGE_TOKEN_SECONDS,
      newEmail: email,
    })
    const link = `${linkOrigin(c)}/account/email/confirm/${token}`
    await deliver(c, 'email_change', emailChangeMail(config.appName, email, link))
  })
  return navigate(c, '/account/email/sent')
})

emailChangeRoutes.get('/sent', withSession, (c) => {
  c.header('Cache-Control', 'no-store')
  const auth = c.var.auth
  if (!auth) return navigate(c, '/')
  return render(c, 'Check the new inbox', <EmailChangeSentCard current={auth.email} />)
})

emailChangeRoutes.get('/confirm/:token{[^/]+}', (c) =>
  landLink(c, CONFIRM_COOKIE, '/account/email/confirm', EMAIL_CHANGE_TOKEN_SECONDS),
)

// The link needs no session: it may be opened on another device. It proves control of the new
// inbox; the request behind it proved the password.
emailChangeRoutes.get('/confirm', async (c) => {
  c.header('Referrer-Policy', 'no-referrer')
  c.header('Cache-Control', 'no-store')
  const holder = await peekToken(c.var.db, linkToken(c, CONFIRM_COOKIE), 'email_change')
  if (!holder?.newEmail) return invalidLink(c, CONFIRM_COOKIE, 'email_change')
  return render(c, 'Use your new address', <EmailConfirmCard email={holder.newEmail} />)
})

emailChangeRoutes.post('/confirm', withSession, async (c) => {
  c.header('Referrer-Policy', 'no-referrer')
  c.header('Cache-Control', 'no-store')
  const { db } = c.var
  const token = linkToken(c, CONFIRM_COOKIE)
  const holder = await peekToken(db, token, 'email_change')
  if (!holder?.newEmail || !(await spendToken(db, token))) {
    return invalidLink(c, CONFIRM_COOKIE, 'email_change')
  }
  forgetLinkToken(c, CONFIRM_COOKIE)
  try {
    await changeEmail(db, holder.userId, holder.newEmail, new Date())
  } catch (err) {
    if (!isDuplicateKey(err)) throw err
    return render(c, 'Address in use', <EmailTakenCard />, 409)
  }
  // Links mailed to the old address (a reset, say) must not work once it is no longer the account's.
  await deleteUserTokens(db, holder.userId)
  await audit(c, 'email_change', 'success', { userId: holder.userId, reason: 'confirmed' })
  if (c.var.auth?.userId === holder.userId) return navigate(c, '/welcome')
  setFlash(c, { notice: 'email_changed' })
  return navigate(c, '/')
})
