import type { Context } from 'hono'
import { Hono } from 'hono/tiny'
import { hashPassword, verifyPassword } from '../auth/passwords'
import { breachedPasswordMessage } from '../auth/pwned-passwords'
import { loginRules, reserve, signupRules, succeeded, type Reservation } from '../auth/throttle'
import { audit } from '../audit'
import { isDuplicateKey } from '../db/client'
import { findUserByEmail, insertUser, updatePasswordHash } from '../db/users'
import type { AppEnv } from '../env'
import { setFlash, takeFlash, type Flash } from '../flash'
import { keptValues, loginSchema, signupSchema, validForm, type FieldErrors } from '../forms'
import { clientAddress } from '../request-info'
import { signIn, signOut, withSession } from '../session-cookie'
import { LoginCard, LogoutConfirmCard, SignupCard, WelcomeCard } from '../views/auth'
import { AccountDeletedNotice } from '../views/account'
import { navigate, render } from '../views/render'
import { UnverifiedCard, VerifyReminder } from '../views/recovery'
import { afterResponse, deliver, linkOrigin, mailAllowed } from '../mail/deliver'
import { signupTakenMail } from '../mail/templates'
import { sendVerification } from './recovery'

export const authRoutes = new Hono<AppEnv>()

// The legacy app's message and status, the same for an unknown email and a wrong password (ASVS 6.3.8).
const INVALID_CREDENTIALS = 'Invalid credentials'
const CHECK_FIELDS = 'Check the highlighted fields.'

/** The words and header for a refused reservation (429 with Retry-After). */
export function throttled(c: Context, refusal: Extract<Reservation, { allowed: false }>) {
  const seconds = refusal.retryAfterSeconds
  c.header('Retry-After', String(seconds))
  if (seconds < 90) return `Too many attempts. Try again in ${seconds} seconds.`
  const minutes = Math.ceil(seconds / 60)
  return `Too many attempts. Try again in ${minutes} minutes.`
}

const RECOVERY_NOTICES: Partial<Record<Flash['notice'], string>> = {
  password_reset:
    'Your password was changed and every session was signed out. Sign in with it now.',
  email_verified: 'Your email address is confirmed. Sign in to continue.',
  email_changed: 'Your email address was changed. Sign in with the new one.',
}

authRoutes.get('/', withSession, (c) => {
  if (c.var.auth) return navigate(c, '/welcome')
  const flash = takeFlash(c)
  const email = flash?.notice === 'created' ? flash.email : undefined
  const notice = flash && RECOVERY_NOTICES[flash.notice]
  return c.render(<LoginCard flash={flash} email={email} notice={notice} />, {
    title: 'Sign in',
    sameForEveryone: flash ? undefined : 'sign-in',
  })
})

// A failed sign-in without JavaScript leaves /login in the address bar: reloading it must not 404.
authRoutes.get('/login', (c) => navigate(c, '/'))

authRoutes.get('/signup', withSession, (c) => {
  if (c.var.auth) return navigate(c, '/welcome')
  const min = c.var.config.passwordMinLength
  const deleted = takeFlash(c)?.notice === 'account_deleted'
  return c.render(
    <>
      {deleted && <AccountDeletedNotice />}
      <SignupCard passwordMinLength={min} />
    </>,
    { title: 'Create an account', sameForEveryone: deleted ? undefined : `signup ${min}` },
  )
})

function signupCard(
  c: Context<AppEnv>,
  status: 409 | 422 | 429,
  values: { username?: string; email?: string },
  errors: FieldErrors<string>,
  failure: string,
) {
  const min = c.var.config.passwordMinLength
  return render(
    c,
    'Create an account',
    <SignupCard values={values} errors={errors} failure={failure} passwordMinLength={min} />,
    status,
  )
}

const validSignup = validForm(
  (c) => signupSchema(c.var.config.passwordMinLength),
  (c, errors, raw) =>
    signupCard(c, 422, keptValues(raw, ['username', 'email']), errors, CHECK_FIELDS),
)

authRoutes.post('/signup', validSignup, async (c) => {
  const { config, db } = c.var
  const values = c.req.valid('form')
  const kept = { username: values.username, email: values.email }
  const card = (status: 409 | 422 | 429, failure: string, errors: FieldErrors<string> = {}) =>
    signupCard(c, status, kept, errors, failure)

  // Throttle and look the email up before hashing: a taken address or a flood costs no bcrypt. The
  // breached-password range check runs alongside, so it adds no round trip.
  const rules = await signupRules(config.sessionSecret, clientAddress(c))
  const [reservation, existing, breached] = await Promise.all([
    reserve(db, rules),
    findUserByEmail(db, values.email),
    breachedPasswordMessage(values.password, config.pwnedPasswordsUrl),
  ])
  if (!reservation.allowed) {
    await audit(c, 'signup', 'throttled')
    return card(429, throttled(c, reservation))
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
    return navigate(c, '/verify/sent')
  }
  await audit(c, 'signup', 'success', { userId })
  if (config.emailVerification !== 'off') {
    afterResponse(c, 'verify', () => sendVerification(c, { id: userId, email: values.email }))
  }
  if (required) return navigate(c, '/verify/sent')
  setFlash(c, { notice: 'created', email: values.email })
  return navigate(c, '/')
})

const validLogin = validForm(
  () => loginSchema,
  (c, errors, raw) =>
    render(
      c,
      'Sign in',
      <LoginCard email={keptValues(raw, ['email']).email} errors={errors} />,
      422,
    ),
)

authRoutes.post('/login', validLogin, async (c) => {
  const { config, db } = c.var
  const values = c.req.valid('form')
  const card = (status: 400 | 429, failure: string) =>
    render(c, 'Sign in', <LoginCard email={values.email} failure={failure} />, status)

  // The attempt is counted before the password is checked, so a parallel burst buys no extra
  // guesses; both reads share one round trip.
  const rules = await loginRules(config.sessionSecret, values.email, clientAddress(c))
  const [reservation, user] = await Promise.all([
    reserve(db, rules),
    findUserByEmail(db, values.email, values.typedEmail),
  ])
  if (!reservation.allowed) {
    await audit(c, 'login', 'throttled', { userId: user?.id })
    return card(429, throttled(c, reservation))
  }
  const check = await verifyPassword(values.password, user?.passwordHash, config.bcryptCost)
  if (!user || !check.ok) {
    await audit(c, 'login', 'failure', {
      userId: user?.id,
      reason: user ? 'password' : 'unknown_email',
    })
    return card(400, INVALID_CREDENTIALS)
  }
  if (config.emailVerification === 'required' && !user.emailVerifiedAt) {
    // The password was right (so this reveals nothing new), but the address is unconfirmed.
    await succeeded(db, reservation.rules)
    await audit(c, 'login', 'failure', { userId: user.id, reason: 'unverified' })
    return render(c, 'Confirm your address', <UnverifiedCard email={user.email} />, 403)
  }
  // Second and last round trip: settle the throttle, upgrade a legacy or cheap hash while the
  // password is at hand, and start the session.
  await Promise.all([
    succeeded(db, reservation.rules),
    check.needsRehash
      ? updatePasswordHash(db, user.id, hashPassword(values.password, config.bcryptCost))
      : undefined,
    signIn(c, user),
  ])
  await audit(c, 'login', 'success', { userId: user.id })
  return navigate(c, '/welcome')
})

authRoutes.get('/welcome', withSession, (c) => {
  // ASVS 14.3.2: authenticated pages must not be kept by the browser or shown again by Back.
  c.header('Cache-Control', 'no-store')
  const auth = c.var.auth
  if (!auth) return navigate(c, '/')
  const remind = c.var.config.emailVerification !== 'off' && auth.emailVerified === false
  const notice = remind ? <VerifyReminder /> : undefined
  return c.render(<WelcomeCard username={auth.username} notice={notice} />, { title: 'Welcome' })
})

async function logout(c: Context<AppEnv>) {
  c.header('Cache-Control', 'no-store')
  const userId = await signOut(c)
  setFlash(c, { notice: 'signed_out' })
  await audit(c, 'logout', 'success', { userId })
  return navigate(c, '/')
}

authRoutes.post('/logout', logout)

authRoutes.get('/logout', async (c) => {
  // GET is kept for the legacy app's links, but only this site's own pages (or a typed address)
  // may sign people out with it; any other origin, a sibling subdomain, or a HEAD gets a button to
  // press on this site, behind the CSRF check (ASVS 3.5.1, 3.5.3).
  const site = c.req.header('Sec-Fetch-Site')
  if (c.req.method === 'GET' && (site === 'same-origin' || site === 'none')) return logout(c)
  c.header('Cache-Control', 'no-store')
  return c.render(<LogoutConfirmCard />, { title: 'Sign out' })
})
