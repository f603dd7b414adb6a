import { Hono } from 'hono'
import { verifyPassword } from '../auth/passwords'
import { loginRules, reserve, succeeded } from '../auth/throttle'
import { EMAIL_CHANGE_TOKEN_SECONDS, issueToken, peekToken, spendToken } from '../auth/tokens'
import { audit } from '../audit'
import { isDuplicateKey } from '../db/client'
import { deleteUserTokens } from '../db/tokens'
import { changeEmail, findUserByEmail } from '../db/users'
import type { AppEnv } from '../env'
import { setFlash } from '../flash'
import { emailError, normaliseEmail, type FieldErrors } from '../forms'
import { afterResponse, deliver, linkOrigin, mailAllowed } from '../mail/deliver'
import { emailChangeMail, emailChangeNoticeMail } from '../mail/templates'
import { clientAddress } from '../request-info'
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
const CONFIRM_COOKIE = 'email_change'

emailChangeRoutes.get('/', withSession, (c) => {
  c.header('Cache-Control', 'no-store')
  const auth = c.var.auth
  if (!auth) return navigate(c, '/')
  return render(c, TITLE, <EmailChangeCard current={auth.email} />)
})

emailChangeRoutes.post('/', withSession, async (c) => {
  c.header('Cache-Control', 'no-store')
  const { config, db } = c.var
  const auth = c.var.auth
  if (!auth) return navigate(c, '/')
  const body = await c.req.parseBody()
  const email = normaliseEmail(typeof body.email === 'string' ? body.email : '')
  const password = typeof body.password === 'string' ? body.password : ''
  const errors: FieldErrors<keyof EmailChangeInput> = {}
  const shape = emailError(email)
  if (shape) errors.email = shape
  else if (email === auth.email) errors.email = 'This is already your address.'
  if (password === '') errors.password = 'Enter your current password.'
  const card = (status: 400 | 422 | 429, failure?: string) =>
    render(
      c,
      TITLE,
      <EmailChangeCard current={auth.email} email={email} errors={errors} failure={failure} />,
      status,
    )
  if (Object.keys(errors).length > 0) return card(422, 'Check the highlighted fields.')

  // Re-authentication for a sensitive change (Auth Book "sudo mode", ASVS 6.2.3 by analogy), counted
  // by the sign-in throttle so this form is no way around it.
  const rules = await loginRules(config.sessionSecret, auth.email, clientAddress(c))
  const [reservation, user] = await Promise.all([
    reserve(db, rules),
    findUserByEmail(db, auth.email),
  ])
  if (!reservation.allowed) {
    c.header('Retry-After', String(reservation.retryAfterSeconds))
    return card(429, 'Too many attempts. Try again later.')
  }
  const check = await verifyPassword(password, user?.passwordHash, config.bcryptCost)
  if (!user || !check.ok) {
    await audit(c, 'email_change', 'failure', { userId: auth.userId, reason: 'password' })
    errors.password = 'That is not your current password.'
    return card(400)
  }
  await succeeded(db, reservation.rules)
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
