import type { Context } from 'hono'
import type { AppEnv } from '../env'
import { audit } from '../http/audit'
import { issueSessionCookie } from '../sessions/cookie'
import { clearFailedSignIns } from '../db/users'
import { rememberDevice } from '../security/device'
import { succeeded, type Rule } from '../security/throttle'
import { navigate, render } from '../ui/render'
import { UnverifiedCard } from './unverified'

/** How the first step was made; every method (codes, passkeys, providers next) names itself here. */
export type SignInMethod = 'password' | 'email-code'

/** The account a first step proved, as the user lookup reads it. */
export interface SignInUser {
  id: number
  username: string
  email: string
  memberSince: Date
  emailVerifiedAt: Date | null
  /** The credential generation read with the first step: a change since then voids the session. */
  generation: number
  /** Wrong passwords in a row, when the method's lookup read them; a success clears them. */
  failedSignIns?: number
  /** The user's session rows, when the method's lookup counted them (see SessionUser). */
  sessionCount?: number
}

export interface FirstStep {
  method: SignInMethod
  /** The throttle reservation the attempt made; the door settles it as a success. */
  rules: Rule[]
  /** Work of the method's own that rides in the session's round trip (a password rehash). */
  alongside?: () => Promise<unknown>
}

/**
 * The sign-in door: the only code that starts a session after a successful first step, so no
 * sign-in method can skip what is decided here. It applies the verification policy
 * (EMAIL_VERIFICATION=required: an unconfirmed address gets no session), settles the throttle,
 * starts the session under a fresh id (ASVS 7.2.4) and the credential generation the first step
 * read (so a reset that lands meanwhile voids it), remembers the browser as a known device, audits
 * (ASVS 16.3.1) and sends the browser on.
 * The second-factor step goes here, before the session starts.
 */
export async function finishSignIn<E extends AppEnv>(
  c: Context<E>,
  user: SignInUser,
  step: FirstStep,
) {
  const { db, config } = c.var
  if (config.emailVerification === 'required' && !user.emailVerifiedAt) {
    // The first step was right (so this reveals nothing new), but the address is unconfirmed.
    await succeeded(db, step.rules)
    await audit(c, 'login', 'failure', { userId: user.id, reason: 'unverified' })
    return render(c, 'Confirm your address', <UnverifiedCard email={user.email} />, 403)
  }
  // One round trip: settle the throttle, the method's own work, and start the session.
  const sessionUser = { ...user, emailVerified: user.emailVerifiedAt !== null }
  await Promise.all([
    succeeded(db, step.rules),
    step.alongside?.(),
    user.failedSignIns === 0 ? undefined : clearFailedSignIns(db, user.id),
    issueSessionCookie(c, sessionUser),
  ])
  // This browser is now a known device for the account (device.ts): no database call.
  await rememberDevice(c, config.sessionSecret, user.email)
  await audit(c, 'login', 'success', { userId: user.id, method: step.method })
  return navigate(c, '/welcome')
}
