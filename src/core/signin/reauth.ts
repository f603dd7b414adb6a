import type { Context } from 'hono'
import { findPasswordHash } from '../db/users'
import type { AppEnv } from '../env'
import { clientAddress } from '../http/request'
import { tooManyAttempts } from '../http/throttled'
import { verifyPassword } from '../passwords/hash'
import type { LiveSession } from '../sessions/sessions'
import { knownDevice } from '../security/device'
import { reserveInOrder, signInStages, type Rule } from '../security/throttle'

export type Reauthentication =
  | { ok: true; rules: Rule[] }
  | { ok: false; status: 400 | 429; message: string; outcome: 'failure' | 'throttled' }

/**
 * The re-authentication door (sudo mode: Pilcrow's guides; ASVS 6.2.3 for password change):
 * changing the password or the email address, signing out everywhere else and deleting the account
 * each re-check the current password, whatever the age of the session, so a borrowed unlocked
 * device or a stolen cookie cannot do them. The re-check is throttled exactly like a sign-in (same
 * keys and stages, reserved before bcrypt: ASVS 6.3.1), or these forms would be an unthrottled guessing oracle
 * for whoever holds the session. Call `succeeded(db, rules)` once the action is done. The second
 * factor will be asked for here too.
 */
export async function reauthenticate<E extends AppEnv>(
  c: Context<E>,
  auth: LiveSession,
  password: string,
): Promise<Reauthentication> {
  const { db, config } = c.var
  const device = await knownDevice(c, config.sessionSecret, auth.email)
  const stages = await signInStages(config.sessionSecret, auth.email, clientAddress(c), device)
  const lookup = findPasswordHash(db, auth.userId)
  const [reservation, storedHash] = await reserveInOrder(db, stages, lookup)
  if (!reservation.allowed) {
    const message = tooManyAttempts(c, reservation)
    return { ok: false, status: 429, message, outcome: 'throttled' }
  }
  const check = await verifyPassword(password, storedHash, config.bcryptCost)
  if (!storedHash || !check.ok) {
    const message = 'That is not your current password.'
    return { ok: false, status: 400, message, outcome: 'failure' }
  }
  return { ok: true, rules: reservation.rules }
}
