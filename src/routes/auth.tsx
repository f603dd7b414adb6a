import { Hono, type Context } from 'hono'
import { hashPassword, verifyPassword } from '../auth/passwords'
import { endSession, sessions, startSession } from '../auth/sessions'
import { loginThrottle } from '../auth/throttle'
import { isDuplicateKey } from '../db/client'
import { findUserByEmail, insertUser, updatePasswordHash } from '../db/users'
import type { AppEnv } from '../env'
import { setFlash, takeFlash } from '../flash'
import { readLogin, readSignup } from '../forms'
import { logEvent } from '../log'
import { LoginCard, LogoutConfirmCard, SignupCard, WelcomeCard } from '../views/auth'
import { navigate, render } from '../views/render'

export const authRoutes = new Hono<AppEnv>()

// The legacy app's message and status, the same for an unknown email and a wrong password (ASVS 6.3.8).
const INVALID_CREDENTIALS = 'Invalid credentials'

authRoutes.get('/', sessions(), (c) => {
  if (c.var.auth) return navigate(c, '/welcome')
  const flash = takeFlash(c)
  const email = flash?.notice === 'created' ? flash.email : undefined
  return render(c, 'Sign in', <LoginCard flash={flash} email={email} />)
})

authRoutes.get('/signup', sessions(), (c) => {
  if (c.var.auth) return navigate(c, '/welcome')
  const min = c.var.config.passwordMinLength
  return render(c, 'Create an account', <SignupCard passwordMinLength={min} />)
})

authRoutes.post('/signup', async (c) => {
  const { config, db } = c.var
  const { values, errors } = readSignup(await c.req.parseBody(), config.passwordMinLength)
  const kept = { username: values.username, email: values.email }
  const card = (status: 409 | 422, failure?: string, errs = errors) =>
    render(
      c,
      'Create an account',
      <SignupCard
        values={kept}
        errors={errs}
        failure={failure}
        passwordMinLength={config.passwordMinLength}
      />,
      status,
    )
  if (Object.keys(errors).length > 0) return card(422, 'Check the highlighted fields.')

  let userId: number
  try {
    const passwordHash = hashPassword(values.password, config.bcryptCost)
    userId = await insertUser(db, { ...kept, passwordHash })
  } catch (err) {
    if (!isDuplicateKey(err)) throw err
    const taken = 'An account with this email already exists. Sign in instead.'
    return card(409, taken, { email: taken })
  }
  logEvent('info', 'signup', { outcome: 'success', userId })
  setFlash(c, { notice: 'created', email: values.email })
  return navigate(c, '/')
})

authRoutes.post('/login', sessions(true), async (c) => {
  const { config, db } = c.var
  const { values, errors } = readLogin(await c.req.parseBody())
  if (Object.keys(errors).length > 0) {
    return render(c, 'Sign in', <LoginCard email={values.email} errors={errors} />, 422)
  }
  const throttle = await loginThrottle(c, values.email)
  // Both reads at once: the throttle costs a statement but no extra round-trip time.
  const [blocked, user] = await Promise.all([throttle.check(), findUserByEmail(db, values.email)])
  if (blocked.until) {
    const seconds = Math.ceil((blocked.until.getTime() - Date.now()) / 1000)
    const minutes = Math.max(1, Math.ceil(seconds / 60))
    c.header('Retry-After', String(Math.max(1, seconds)))
    logEvent('warn', 'login', { outcome: 'throttled' })
    const message = `Too many failed attempts. Try again in ${minutes} minute${minutes === 1 ? '' : 's'}.`
    return render(c, 'Sign in', <LoginCard email={values.email} failure={message} />, 429)
  }
  const check = await verifyPassword(values.password, user?.passwordHash, config.bcryptCost)
  if (!user || !check.ok) {
    await throttle.failed()
    logEvent('info', 'login', { outcome: 'failure', reason: user ? 'password' : 'unknown_email' })
    return render(
      c,
      'Sign in',
      <LoginCard email={values.email} failure={INVALID_CREDENTIALS} />,
      400,
    )
  }
  await throttle.succeeded(blocked.known)
  if (check.needsRehash) {
    // Legacy SHA-256 or a cost below today's: replace while the plain password is at hand.
    await updatePasswordHash(db, user.id, hashPassword(values.password, config.bcryptCost))
  }
  startSession(c, { userId: user.id, username: user.username })
  logEvent('info', 'login', { outcome: 'success', userId: user.id, rehashed: check.needsRehash })
  return navigate(c, '/welcome')
})

authRoutes.get('/welcome', sessions(), (c) => {
  // ASVS 14.3.2: authenticated pages must not be kept by the browser or shown again by Back.
  c.header('Cache-Control', 'no-store')
  const auth = c.var.auth
  if (!auth) return navigate(c, '/')
  return render(c, 'Welcome', <WelcomeCard username={auth.username} />)
})

async function logout(c: Context<AppEnv>) {
  c.header('Cache-Control', 'no-store')
  await endSession(c)
  setFlash(c, { notice: 'signed_out' })
  logEvent('info', 'logout', {})
  return navigate(c, '/')
}

authRoutes.post('/logout', logout)

authRoutes.get('/logout', async (c) => {
  // GET is kept for the legacy app's links, but another site must not be able to sign people out
  // with a link: cross-site, ask for a click on our own (CSRF-checked) button (ASVS 3.5).
  if (c.req.header('Sec-Fetch-Site') === 'cross-site') {
    c.header('Cache-Control', 'no-store')
    return render(c, 'Sign out', <LogoutConfirmCard />)
  }
  return logout(c)
})
