import { Hono } from 'hono/tiny'
import { countFailedSignIn, findUserByEmail, rehashPassword } from '../../core/db/users'
import type { AppEnv } from '../../core/env'
import { keptValues, validForm } from '../../core/forms/validate'
import { audit } from '../../core/http/audit'
import { nextFrom, safeNext } from '../../core/http/next'
import { clientAddress } from '../../core/http/request'
import { tooManyAttempts } from '../../core/http/throttled'
import { afterResponse } from '../../core/mail/deliver'
import { hashPassword, verifyPassword } from '../../core/passwords/hash'
import { withSession } from '../../core/sessions/cookie'
import { finishSignIn } from '../../core/signin/door'
import { knownDevice } from '../../core/security/device'
import { reserveInOrder, signInStages, succeeded } from '../../core/security/throttle'
import { defineNotice, setFlash, takeFlash } from '../../core/ui/flash'
import { startCodeSignIn } from '../email-code'
import { signInLinks, signInLinksKey } from '../../core/ui/sign-in-links'
import { leave, navigate, render } from '../../core/ui/render'
import { signInSchema } from './forms'
import { SignInCard } from './views'

export const passwordSignInRoutes = new Hono<AppEnv>()

// The legacy app's message and status, the same for an unknown email and a wrong password (ASVS 6.3.8).
const INVALID_CREDENTIALS = 'Invalid credentials'

passwordSignInRoutes.get('/', withSession, async (c) => {
  const next = await nextFrom(c)
  if (c.var.auth) return next ? leave(c, next) : navigate(c, '/welcome')
  const flash = takeFlash(c)
  const links = signInLinks(c)
  return c.render(<SignInCard flash={flash} email={flash?.email} next={next} links={links} />, {
    title: 'Sign in',
    sameForEveryone: flash || next ? undefined : `sign-in ${signInLinksKey(links)}`,
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
      <SignInCard
        email={keptValues(raw, ['email']).email}
        errors={errors}
        next={safeNext(raw.next)}
        links={signInLinks(c)}
      />,
      422,
    ),
)

// NIST SP 800-63B-4 3.2.2: past this many wrong passwords in a row, a password alone no longer
// signs in from a browser that has never signed in to the account.
const CONSECUTIVE_FAILURES_LIMIT = 100
const NEEDS_MAILED_CODE = defineNotice(
  'needs_mailed_code',
  'There have been many failed attempts to sign in to this account, so from a browser that has not signed in to it before the password alone is not enough: we sent a code to your email address. Enter it here.',
)

passwordSignInRoutes.post('/login', validSignIn, async (c) => {
  const { config, db } = c.var
  const values = c.req.valid('form')
  // A failed attempt keeps where the person was going.
  const next = await nextFrom(c)
  const card = (status: 400 | 429, failure: string) =>
    render(
      c,
      'Sign in',
      <SignInCard email={values.email} failure={failure} next={next} links={signInLinks(c)} />,
      status,
    )

  // The attempt is counted before the password is checked, so a parallel burst buys no extra
  // guesses; the user read shares the first round trip. The account's own count is reserved only
  // once the client's were allowed (throttle.ts), and not at all from a known device.
  const device = await knownDevice(c, config.sessionSecret, values.email)
  const stages = await signInStages(config.sessionSecret, values.email, clientAddress(c), device)
  const lookup = findUserByEmail(db, values.email, values.typedEmail)
  const [reservation, user] = await reserveInOrder(db, stages, lookup)
  if (!reservation.allowed) {
    await audit(c, 'login', 'throttled', { userId: user?.id })
    return card(429, tooManyAttempts(c, reservation))
  }
  const check = await verifyPassword(values.password, user?.passwordHash, config.bcryptCost)
  if (!user || !check.ok) {
    // The run of failures is counted after the answer, so a wrong password and an unknown address
    // answer after the same statements (ASVS 6.3.8: no telling accounts apart by timing).
    if (user) afterResponse(c, 'failed_sign_in', () => countFailedSignIn(db, user.id))
    await audit(c, 'login', 'failure', {
      userId: user?.id,
      reason: user ? 'password' : 'unknown_email',
    })
    return card(400, INVALID_CREDENTIALS)
  }
  if (!device && user.failedSignIns >= CONSECUTIVE_FAILURES_LIMIT) {
    // The password was right, so this tells nothing to someone who did not know it.
    // The mailed code completes the sign-in through the door (features/email-code).
    await succeeded(db, reservation.rules)
    await audit(c, 'login', 'failure', { userId: user.id, reason: 'needs_mailed_code' })
    setFlash(c, NEEDS_MAILED_CODE)
    return startCodeSignIn(c, user)
  }
  // A legacy or cheap hash is upgraded while the password is at hand, in the door's round trip,
  // only over the hash it verified (a reset meanwhile wins).
  const rehash = () =>
    rehashPassword(db, user.id, user.passwordHash, hashPassword(values.password, config.bcryptCost))
  return finishSignIn(c, user, {
    method: 'password',
    rules: reservation.rules,
    alongside: check.needsRehash ? rehash : undefined,
  })
})
