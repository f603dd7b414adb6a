import type { Context } from 'hono'
import type { AppEnv } from '../env'
import { reserve, subscriberRule, type Reservation } from '../security/throttle'
import { clientAddress } from './request'

/** The words and header for a refused reservation: the caller answers 429 (ASVS 6.3.1). */
export function tooManyAttempts(c: Context, refusal: Extract<Reservation, { allowed: false }>) {
  const seconds = refusal.retryAfterSeconds
  c.header('Retry-After', String(seconds))
  if (seconds < 90) return `Too many attempts. Try again in ${seconds} seconds.`
  const minutes = Math.ceil(seconds / 60)
  return `Too many attempts. Try again in ${minutes} minutes.`
}

// ASVS 6.3.1 for sign-in methods whose proof cannot be guessed (a passkey's signature, a provider's
// callback bound to this browser's PKCE verifier and state): their failures count per subscriber
// (address or IPv6 /64) like other sign-in attempts, but after the check, so a success is never
// held up and stays within its statements; past the allowance every further failure is answered 429.
const FAILURES_AFTER_THE_FACT = {
  limit: 20,
  windowSeconds: 15 * 60,
  kind: 'window',
  onSuccess: 'refund',
} as const

/** Counts one failure of `method` from this client; not allowed: the caller answers 429. */
export async function countFailure<E extends AppEnv>(c: Context<E>, method: string) {
  const { config, db } = c.var
  const address = clientAddress(c)
  const rule = await subscriberRule(config.sessionSecret, method, address, FAILURES_AFTER_THE_FACT)
  return reserve(db, [rule])
}
