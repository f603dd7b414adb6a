import type { Context } from 'hono'
import { findPasswordHash } from '../db/users'
import type { AppEnv } from '../env'
import type { Feature } from '../feature'
import { clientAddress } from '../http/request'
import { tooManyAttempts } from '../http/throttled'
import { verifyPassword } from '../passwords/hash'
import type { LiveSession } from '../sessions/sessions'
import { knownDevice } from '../security/device'
import { reserveInOrder, signInStages, type Rule } from '../security/throttle'
import { NO_PASSWORD } from './ways-in'

/** How recent a sign-in stands in for the password of an account that has none. */
export const RECENT_SIGN_IN_MS = 5 * 60 * 1000
const NEEDS_RECENT_SIGN_IN =
  'Your account has no password: sign in again (Connected accounts has the link), then do this within 5 minutes.'

/** Whether the session was started by a sign-in within the last `RECENT_SIGN_IN_MS`. */
export function recentSignIn(auth: LiveSession, now = Date.now()) {
  return now - auth.createdAt.getTime() < RECENT_SIGN_IN_MS
}

/** The form field sudo-mode forms carry the second factor's code in. */
export const SECOND_FACTOR_FIELD = 'second_factor'

export type Reauthentication =
  | { ok: true; rules: Rule[] }
  | {
      ok: false
      status: 400 | 429
      message: string
      outcome: 'failure' | 'throttled'
      /** The field the message is about (none for a throttle refusal). */
      field?: 'password' | typeof SECOND_FACTOR_FIELD
    }

/**
 * The re-authentication door (sudo mode: Pilcrow's guides; ASVS 6.2.3 for password change):
 * changing the password or the email address, signing out everywhere else and deleting the account
 * each re-check the current password, whatever the age of the session, so a borrowed unlocked
 * device or a stolen cookie cannot do them. The re-check is throttled exactly like a sign-in (same
 * keys and stages, reserved before bcrypt: ASVS 6.3.1), or these forms would be an unthrottled
 * guessing oracle for whoever holds the session. Call `succeeded(db, rules)` once the action is
 * done. An account without a password (`NO_PASSWORD`) gives none: a recent sign-in stands in for
 * it (see below). An account with a second factor must also give a current code or a recovery code
 * (field `second_factor`, see `SecondFactorField`), checked by the feature that owns the factor,
 * after the password and under the same reservation (ASVS 6.5; the factor is not bypassed by a held
 * session).
 */
export async function reauthenticate<E extends AppEnv>(
  c: Context<E>,
  auth: LiveSession,
  password: string,
): Promise<Reauthentication> {
  if (auth.hasPassword && password === '') {
    // Nothing to compare: said before any reservation or bcrypt (no attempt is spent on it), as
    // the sign-in form says it, for a form whose schema lets an empty field through.
    const message = 'Enter your password.'
    return { ok: false, status: 400, message, outcome: 'failure', field: 'password' }
  }
  const { db, config } = c.var
  const device = await knownDevice(c, config.sessionSecret, auth.email)
  const stages = await signInStages(config.sessionSecret, auth.email, clientAddress(c), device)
  const lookup = findPasswordHash(db, auth.userId)
  const [reservation, storedHash] = await reserveInOrder(db, stages, lookup)
  if (!reservation.allowed) {
    const message = tooManyAttempts(c, reservation)
    return { ok: false, status: 429, message, outcome: 'throttled' }
  }
  if (storedHash === NO_PASSWORD) {
    // An account made by a provider sign-in has no password to re-check: a sign-in within the
    // last few minutes stands in for it (DESIGN "Accounts"; ASVS 7.5.3), and the second factor
    // below is still asked for.
    if (!recentSignIn(auth)) {
      const message = NEEDS_RECENT_SIGN_IN
      return { ok: false, status: 400, message, outcome: 'failure', field: 'password' }
    }
  } else {
    const check = await verifyPassword(password, storedHash, config.bcryptCost)
    if (!storedHash || !check.ok) {
      const message = 'That is not your current password.'
      return { ok: false, status: 400, message, outcome: 'failure', field: 'password' }
    }
  }
  if (auth.twoFactor && !(await secondFactorOk(c, auth))) {
    const message = 'Enter a current code from your authenticator app, or a recovery code.'
    return { ok: false, status: 400, message, outcome: 'failure', field: SECOND_FACTOR_FIELD }
  }
  return { ok: true, rules: reservation.rules }
}

async function secondFactorOk<E extends AppEnv>(c: Context<E>, auth: LiveSession) {
  const body = await c.req.parseBody()
  const code = typeof body[SECOND_FACTOR_FIELD] === 'string' ? body[SECOND_FACTOR_FIELD] : ''
  if (code.trim() === '') return false
  // Several features may offer a factor for the field (two-factor: app and recovery codes;
  // passkeys: an assertion): each is asked in the list's order until one accepts. Each refuses
  // what is not shaped like its own factor without a statement, and spends what it accepts. No
  // feature to check with means no way to pass: never a skipped factor.
  for (const feature of c.var.features as readonly Feature[]) {
    const check = feature.checkSecondFactor
    if (check && (await check(c as unknown as Context<AppEnv>, auth, code))) return true
  }
  return false
}
