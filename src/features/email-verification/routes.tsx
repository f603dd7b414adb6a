import type { Context } from 'hono'
import { Hono } from 'hono/tiny'
import * as v from 'valibot'
import { findUserByEmail, markEmailVerified } from '../../core/db/users'
import type { AppEnv } from '../../core/env'
import { emailField } from '../../core/forms/fields'
import { validForm } from '../../core/forms/validate'
import { audit } from '../../core/http/audit'
import { nextFrom, safeNext, withNext } from '../../core/http/next'
import { forgetLinkToken, landLink, linkPageHeaders, linkToken } from '../../core/http/link-token'
import { afterResponse, deliver, linkOrigin, mailAllowed } from '../../core/mail/deliver'
import { withSession } from '../../core/sessions/cookie'
import { ResendForm } from '../../core/signin/unverified'
import { issueSecret, peekSecret, spendSecret } from '../../core/security/secrets'
import { defineNotice, setFlash } from '../../core/ui/flash'
import { invalidLink as invalid } from '../../core/ui/link-invalid'
import { leave, navigate, render } from '../../core/ui/render'
import { verifyEmailMail } from './mail'
import { VERIFY } from './secret'
import { VerifyCard, VerifySentCard } from './views'

export const emailVerificationRoutes = new Hono<AppEnv>()

const VERIFY_COOKIE = 'verify'
const VERIFIED = defineNotice(
  'email_verified',
  'Your email address is confirmed. Sign in to continue.',
)

const invalidLink = (c: Context) => invalid(c, VERIFY_COOKIE, <ResendForm />)

/**
 * Issues a verification link for the user's current address and mails it, within the mail limits.
 * Called after the response (signup, resend). `next` (a checked path) rides in the link, so the
 * person who confirms the address ends up where their sign-in was going.
 */
export async function sendVerification(
  c: Context<AppEnv>,
  user: { id: number; email: string },
  next?: string,
) {
  if (!(await mailAllowed(c, 'verify', user.email))) return
  const token = await issueSecret(c.var.db, VERIFY, { userId: user.id, newEmail: user.email })
  const link = withNext(`${linkOrigin(c)}/verify/${token}`, next)
  await deliver(c, 'verify', verifyEmailMail(c.var.config.appName, user.email, link))
}

// Before the link route, which would take `sent` for a token.
emailVerificationRoutes.get('/verify/sent', (c) =>
  render(c, 'Check your inbox', <VerifySentCard next={safeNext(c.req.query('next'))} />),
)

emailVerificationRoutes.get('/verify/:token{[^/]+}', (c) =>
  landLink(c, VERIFY, VERIFY_COOKIE, withNext('/verify', safeNext(c.req.query('next')))),
)

/** The holder of the verify token in the cookie, when the link still names the account's address. */
async function verifyHolder(c: Context<AppEnv>) {
  const holder = await peekSecret(c.var.db, VERIFY, linkToken(c, VERIFY_COOKIE))
  return holder && holder.newEmail === holder.email ? holder : undefined
}

emailVerificationRoutes.get('/verify', async (c) => {
  linkPageHeaders(c)
  const holder = await verifyHolder(c)
  if (!holder) return invalidLink(c)
  const next = safeNext(c.req.query('next'))
  const card = (
    <VerifyCard
      email={holder.email}
      username={holder.username}
      memberSince={holder.memberSince}
      next={next}
    />
  )
  return render(c, 'Confirm your address', card)
})

emailVerificationRoutes.post('/verify', withSession, async (c) => {
  linkPageHeaders(c)
  const { db } = c.var
  const token = linkToken(c, VERIFY_COOKIE)
  const holder = await verifyHolder(c)
  if (!holder) return invalidLink(c)
  // Marked before the link is spent: marking again changes nothing, so a failure between the two
  // leaves a link that still works, never one spent for nothing (two racing uses both confirm).
  const marked = await markEmailVerified(db, holder.userId, holder.email, new Date())
  if (!marked) return invalidLink(c)
  await spendSecret(db, token)
  forgetLinkToken(c, VERIFY_COOKIE)
  await audit(c, 'email_verify', 'success', { userId: holder.userId })
  const next = await nextFrom(c)
  if (c.var.auth?.userId === holder.userId) return next ? leave(c, next) : navigate(c, '/welcome')
  setFlash(c, VERIFIED)
  return navigate(c, withNext('/', next))
})

// Any answer is the same "check your inbox": an unusable address included.
const resendForm = validForm(
  () => v.object({ email: v.fallback(emailField, '') }),
  (c, _errors, raw) => navigate(c, withNext('/verify/sent', safeNext(raw.next))),
)

emailVerificationRoutes.post('/verify/resend', withSession, resendForm, async (c) => {
  const auth = c.var.auth
  const typed = c.req.valid('form').email
  const email = auth ? auth.email : typed
  const next = await nextFrom(c)
  const sent = withNext('/verify/sent', next)
  if (!email) return navigate(c, sent)
  // The same answer whether the address has an account, is confirmed already, or is unknown.
  if (c.var.config.emailVerification !== 'off' && !auth?.emailVerified) {
    afterResponse(c, 'verify', async () => {
      const user = auth ? { id: auth.userId, email } : await findUserByEmail(c.var.db, email)
      if (!user || ('emailVerifiedAt' in user && user.emailVerifiedAt)) return
      await sendVerification(c, user, next)
    })
  }
  return navigate(c, sent)
})
