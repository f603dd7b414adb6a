import type { Context } from 'hono'
import { Hono } from 'hono/tiny'
import * as v from 'valibot'
import { isDuplicateKey } from '../../core/db/client'
import { changeEmail, findUserByEmail } from '../../core/db/users'
import type { AppEnv } from '../../core/env'
import { emailField, sudoPasswordField } from '../../core/forms/fields'
import { keptValues, validForm, type FieldErrors } from '../../core/forms/validate'
import { audit } from '../../core/http/audit'
import { forgetLinkToken, landLink, linkPageHeaders, linkToken } from '../../core/http/link-token'
import { afterResponse, deliver, linkOrigin, mailAllowedFor } from '../../core/mail/deliver'
import { withSession } from '../../core/sessions/cookie'
import { signedIn, type SignedInContext } from '../../core/sessions/guard'
import { reauthenticate } from '../../core/signin/reauth'
import {
  deleteUserSecrets,
  issueSecretUnder,
  peekSecret,
  spendSecret,
} from '../../core/security/secrets'
import { succeeded } from '../../core/security/throttle'
import { defineNotice, setFlash } from '../../core/ui/flash'
import { invalidLink as invalid } from '../../core/ui/link-invalid'
import { navigate, render } from '../../core/ui/render'
import { emailChangeMail, emailChangeNoticeMail } from './mail'
import { EMAIL_CHANGE } from './secret'
import { EmailChangeCard, EmailChangeSentCard, EmailConfirmCard, EmailTakenCard } from './views'

/** Change the address, confirmed from the new inbox (`/account/email`). */
export const emailChangeRoutes = new Hono<AppEnv>()

const TITLE = 'Change email'
const CHECK_FIELDS = 'Check the highlighted fields.'
const CONFIRM_COOKIE = 'email_change'
const CHANGED = defineNotice(
  'email_changed',
  'Your email address was changed. Sign in with the new one.',
)

const invalidLink = (c: Context) =>
  invalid(
    c,
    CONFIRM_COOKIE,
    <p>
      <a href="/account/email">Ask again from your account</a>
    </p>,
  )

emailChangeRoutes.get('/account/email', signedIn, (c) =>
  render(
    c,
    TITLE,
    <EmailChangeCard
      current={c.var.auth.email}
      twoFactor={c.var.auth.twoFactor}
      hasPassword={c.var.auth.hasPassword}
    />,
  ),
)

const emailChangeSchema = (hasPassword: boolean | undefined) =>
  v.object({ email: emailField, password: sudoPasswordField(hasPassword) })

function emailChangeCard(
  c: SignedInContext,
  status: 400 | 422 | 429,
  email: string,
  errors: FieldErrors<'email' | 'password' | 'second_factor'>,
  failure?: string,
) {
  const current = c.var.auth.email
  const card = (
    <EmailChangeCard
      current={current}
      email={email}
      errors={errors}
      failure={failure}
      twoFactor={c.var.auth.twoFactor}
      hasPassword={c.var.auth.hasPassword}
    />
  )
  return render(c, TITLE, card, status)
}

const validEmailChange = validForm(
  (c) => emailChangeSchema(c.var.auth?.hasPassword),
  (c, errors, raw) =>
    emailChangeCard(
      c as SignedInContext,
      422,
      keptValues(raw, ['email']).email ?? '',
      errors,
      CHECK_FIELDS,
    ),
)

emailChangeRoutes.post('/account/email', signedIn, validEmailChange, async (c) => {
  const { config, db, auth } = c.var
  const { email, password } = c.req.valid('form')
  if (email === auth.email) {
    return emailChangeCard(c, 422, email, { email: 'This is already your address.' }, CHECK_FIELDS)
  }
  // Re-authentication for a sensitive change, counted by the sign-in throttle.
  const recheck = await reauthenticate(c, auth, password)
  if (!recheck.ok) {
    await audit(c, 'email_change', recheck.outcome, { userId: auth.userId, reason: 'password' })
    if (recheck.status === 429) return emailChangeCard(c, 429, email, {}, recheck.message)
    return emailChangeCard(c, 400, email, { [recheck.field ?? 'password']: recheck.message })
  }
  const user = { id: auth.userId, email: auth.email }
  await succeeded(db, recheck.rules)
  await audit(c, 'email_change', 'success', { userId: user.id, reason: 'requested' })
  // Whether the new address is free is found out after the answer: a taken address gets the same
  // answer and nothing changes (ASVS 6.3.8). The old address hears of it either way (OWASP).
  afterResponse(c, 'email_change', async () => {
    const origin = linkOrigin(c)
    const notice = emailChangeNoticeMail(
      config.appName,
      user.email,
      email,
      origin,
      auth.hasPassword,
    )
    // A taken address gets no link, and nothing of its allowance is spent (the owner's own mail).
    const [{ allowed }] = await Promise.all([
      mailAllowedFor(c, 'email_change', email, findUserByEmail(db, email), (owner) => !owner),
      deliver(c, 'email_change_notice', notice),
    ])
    if (!allowed) return
    // Only under the session's credential generation: a password change (or reset, or "sign out
    // everywhere else") that lands meanwhile leaves no link behind it.
    const holder = { userId: user.id, newEmail: email, generation: auth.generation }
    const token = await issueSecretUnder(db, EMAIL_CHANGE, holder)
    if (!token) return
    const link = `${linkOrigin(c)}/account/email/confirm/${token}`
    await deliver(c, 'email_change', emailChangeMail(config.appName, email, link, auth.username))
  })
  return navigate(c, '/account/email/sent')
})

emailChangeRoutes.get('/account/email/sent', signedIn, (c) =>
  render(c, 'Check the new inbox', <EmailChangeSentCard current={c.var.auth.email} />),
)

emailChangeRoutes.get('/account/email/confirm/:token{[^/]+}', (c) =>
  landLink(c, EMAIL_CHANGE, CONFIRM_COOKIE, '/account/email/confirm'),
)

// The link needs no session: it may be opened on another device. It proves control of the new
// inbox; the request behind it proved the password.
emailChangeRoutes.get('/account/email/confirm', withSession, async (c) => {
  linkPageHeaders(c)
  const holder = await peekSecret(c.var.db, EMAIL_CHANGE, linkToken(c, CONFIRM_COOKIE))
  if (!holder?.newEmail) return invalidLink(c)
  // Which account takes the address, named: someone may have asked for a stranger's address,
  // hoping its owner confirms without reading (a confused deputy).
  const card = (
    <EmailConfirmCard
      email={holder.newEmail}
      username={holder.username}
      memberSince={holder.memberSince}
      otherAccount={c.var.auth ? c.var.auth.userId !== holder.userId : false}
    />
  )
  return render(c, 'Use your new address', card)
})

// Rolls the change back when a racing request spent the link first.
class LinkSpent extends Error {}

emailChangeRoutes.post('/account/email/confirm', withSession, async (c) => {
  linkPageHeaders(c)
  const { db } = c.var
  const token = linkToken(c, CONFIRM_COOKIE)
  const holder = await peekSecret(db, EMAIL_CHANGE, token)
  if (!holder?.newEmail) return invalidLink(c)
  const newEmail = holder.newEmail
  try {
    // One transaction: links mailed to the old address (a reset, say) must not work once it is no
    // longer the account's, nor any other pending secret outlive the change. It spends the link
    // too (single use: of two racing requests only the one whose delete removed it goes on; the
    // other rolls back), so a failure anywhere keeps it usable. The user row first, as every
    // writer of the user's secrets locks it first.
    await db.transaction(async (tx) => {
      await changeEmail(tx, holder.userId, newEmail, new Date())
      if (!(await spendSecret(tx, token))) throw new LinkSpent()
      await deleteUserSecrets(tx, holder.userId)
    })
  } catch (err) {
    if (err instanceof LinkSpent) return invalidLink(c)
    if (!isDuplicateKey(err)) throw err
    return render(c, 'Address in use', <EmailTakenCard />, 409)
  }
  forgetLinkToken(c, CONFIRM_COOKIE)
  await audit(c, 'email_change', 'success', { userId: holder.userId, reason: 'confirmed' })
  if (c.var.auth?.userId === holder.userId) return navigate(c, '/welcome')
  setFlash(c, CHANGED)
  return navigate(c, '/')
})
