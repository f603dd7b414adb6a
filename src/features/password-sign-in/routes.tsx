import { Hono } from 'hono/tiny'
import { findUserByEmail, updatePasswordHash } from '../../core/db/users'
import type { AppEnv } from '../../core/env'
import { keptValues, validForm } from '../../core/forms/validate'
import { audit } from '../../core/http/audit'
import { clientAddress } from '../../core/http/request'
import { tooManyAttempts } from '../../core/http/throttled'
import { hashPassword, verifyPassword } from '../../core/passwords/hash'
import { withSession } from '../../core/sessions/cookie'
import { finishSignIn } from '../../core/signin/door'
import { loginRules, reserve } from '../../core/security/throttle'
import { takeFlash } from '../../core/ui/flash'
import { navigate, render } from '../../core/ui/render'
import { signInSchema } from './forms'
import { SignInCard } from './views'

export const passwordSignInRoutes = new Hono<AppEnv>()

// The legacy app's message and status, the same for an unknown email and a wrong password (ASVS 6.3.8).
const INVALID_CREDENTIALS = 'Invalid credentials'

passwordSignInRoutes.get('/', withSession, (c) => {
  if (c.var.auth) return navigate(c, '/welcome')
  const flash = takeFlash(c)
  return c.render(<SignInCard flash={flash} email={flash?.email} />, {
    title: 'Sign in',
    sameForEveryone: flash ? undefined : 'sign-in',
  })
})

// A failed sign-in without JavaScript leaves /login in the address bar: reloading it must not 404.
passwordSignInRoutes.get('/login', (c) => navigate(c, '/'))

const validSignIn = validForm(
  () => signInSchema,
  (c, errors, raw) =>
    render(
      c,
      'Sign in',
      <SignInCard email={keptValues(raw, ['email']).email} errors={errors} />,
      422,
    ),
)

passwordSignInRoutes.post('/login', validSignIn, async (c) => {
  const { config, db } = c.var
  const values = c.req.valid('form')
  const card = (status: 400 | 429, failure: string) =>
    render(c, 'Sign in', <SignInCard email={values.email} failure={failure} />, status)

  // The attempt is counted before the password is checked, so a parallel burst buys no extra
  // guesses; both reads share one round trip.
  const rules = await loginRules(config.sessionSecret, values.email, clientAddress(c))
  const [reservation, user] = await Promise.all([
    reserve(db, rules),
    findUserByEmail(db, values.email, values.typedEmail),
  ])
  if (!reservation.allowed) {
    await audit(c, 'login', 'throttled', { userId: user?.id })
    return card(429, tooManyAttempts(c, reservation))
  }
  const check = await verifyPassword(values.password, user?.passwordHash, config.bcryptCost)
  if (!user || !check.ok) {
    await audit(c, 'login', 'failure', {
      userId: user?.id,
      reason: user ? 'password' : 'unknown_email',
    })
    return card(400, INVALID_CREDENTIALS)
  }
  // A legacy or cheap hash is upgraded while the password is at hand, in the door's round trip.
  const rehash = () =>
    updatePasswordHash(db, user.id, hashPassword(values.password, config.bcryptCost))
  return finishSignIn(c, user, {
    method: 'password',
    rules: reservation.rules,
    alongside: check.needsRehash ? rehash : undefined,
  })
})
