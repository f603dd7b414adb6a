import type { Context } from 'hono'
import { Hono } from 'hono/tiny'
import { isDuplicateKey } from '../../core/db/client'
import { findUserByEmail, insertUser } from '../../core/db/users'
import type { AppEnv } from '../../core/env'
import { keptValues, validForm, type FieldErrors } from '../../core/forms/validate'
import { audit } from '../../core/http/audit'
import { nextFrom, safeNext, withNext } from '../../core/http/next'
import { clientAddress } from '../../core/http/request'
import { tooManyAttempts } from '../../core/http/throttled'
import { afterResponse, deliver, linkOrigin, mailAllowed } from '../../core/mail/deliver'
import { breachedPasswordMessage } from '../../core/passwords/breached'
import { hashPassword } from '../../core/passwords/hash'
import { withSession } from '../../core/sessions/cookie'
import { reserve, subscriberRule, type Limit } from '../../core/security/throttle'
import { defineNotice, setFlash, takeFlash } from '../../core/ui/flash'
import { leave, navigate, render } from '../../core/ui/render'
import { sendVerification } from '../email-verification'
import { signupSchema } from './forms'
import { signupTakenMail } from './mail'
import { signInLinks, signInLinksKey } from '../../core/ui/sign-in-links'
import { SignupCard } from './views'

export const signupRoutes = new Hono<AppEnv>()

const CHECK_FIELDS = 'Check the highlighted fields.'
// ASVS 6.3.1 for account creation: each signup costs a bcrypt hash and makes a row.
const SIGNUP: Limit = { limit: 10, windowSeconds: 3600, kind: 'window', onSuccess: 'refund' }
const CREATED = defineNotice('created', 'Account created. Sign in with your new password.')

signupRoutes.get('/signup', withSession, async (c) => {
  const next = await nextFrom(c)
  if (c.var.auth) return next ? leave(c, next) : navigate(c, '/welcome')
  const min = c.var.config.passwordMinLength
  const flash = takeFlash(c)
  const links = signInLinks(c)
  return c.render(<SignupCard passwordMinLength={min} flash={flash} next={next} links={links} />, {
    title: 'Create an account',
    sameForEveryone: flash || next ? undefined : `signup ${min} ${signInLinksKey(links)}`,
  })
})

function signupCard(
  c: Context<AppEnv>,
  status: 409 | 422 | 429,
  values: { username?: string; email?: string },
  errors: FieldErrors<string>,
  failure: string,
  next: string | undefined,
) {
  const min = c.var.config.passwordMinLength
  return render(
    c,
    'Create an account',
    <SignupCard
      values={values}
      errors={errors}
      failure={failure}
      passwordMinLength={min}
      next={next}
      links={signInLinks(c)}
    />,
    status,
  )
}

const validSignup = validForm(
  (c) => signupSchema(c.var.config.passwordMinLength),
  (c, errors, raw) =>
    signupCard(
      c,
      422,
      keptValues(raw, ['username', 'email']),
      errors,
      CHECK_FIELDS,
      safeNext(raw.next),
    ),
)

signupRoutes.post('/signup', validSignup, async (c) => {
  const { config, db } = c.var
  const values = c.req.valid('form')
  const kept = { username: values.username, email: values.email }
  const next = await nextFrom(c)
  const card = (status: 409 | 422 | 429, failure: string, errors: FieldErrors<string> = {}) =>
    signupCard(c, status, kept, errors, failure, next)

  // Throttle and look the email up before hashing: a taken address or a flood costs no bcrypt. The
  // breached-password range check runs alongside, so it adds no round trip.
  const rule = await subscriberRule(config.sessionSecret, 'signup', clientAddress(c), SIGNUP)
  const [reservation, existing, breached] = await Promise.all([
    reserve(db, [rule]),
    findUserByEmail(db, values.email),
    breachedPasswordMessage(values.password, config.pwnedPasswordsUrl),
  ])
  if (!reservation.allowed) {
    await audit(c, 'signup', 'throttled')
    return card(429, tooManyAttempts(c, reservation))
  }
  const taken = 'An account with this email already exists. Sign in instead.'
  // EMAIL_VERIFICATION=required: a taken address gets the same answer, status and work (a hash and
  // an insert that fails) as a new one, and its owner a notice, so signup reveals no accounts
  // (ASVS 6.3.8).
  const required = config.emailVerification === 'required'
  if (existing && !required) return card(409, taken, { email: taken })
  if (breached) return card(422, CHECK_FIELDS, { password: breached })

  let userId: number
  try {
    const passwordHash = hashPassword(values.password, config.bcryptCost)
    userId = await insertUser(db, { ...kept, passwordHash })
  } catch (err) {
    if (!isDuplicateKey(err)) throw err
    if (!required) return card(409, taken, { email: taken })
    await audit(c, 'signup', 'failure', { reason: 'taken' })
    afterResponse(c, 'signup_taken', async () => {
      if (!(await mailAllowed(c, 'signup_taken', values.email))) return
      const mail = signupTakenMail(config.appName, values.email, linkOrigin(c))
      await deliver(c, 'signup_taken', mail)
    })
    return navigate(c, withNext('/verify/sent', next))
  }
  await audit(c, 'signup', 'success', { userId })
  if (config.emailVerification !== 'off') {
    afterResponse(c, 'verify', () => sendVerification(c, { id: userId, email: values.email }, next))
  }
  if (required) return navigate(c, withNext('/verify/sent', next))
  setFlash(c, CREATED, values.email)
  // On to sign in, still carrying where the person was going.
  return navigate(c, withNext('/', next))
})
