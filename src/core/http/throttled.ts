import type { Context } from 'hono'
import type { Reservation } from '../security/throttle'

/** The words and header for a refused reservation: the caller answers 429 (ASVS 6.3.1). */
export function tooManyAttempts(c: Context, refusal: Extract<Reservation, { allowed: false }>) {
  const seconds = refusal.retryAfterSeconds
  c.header('Retry-After', String(seconds))
  if (seconds < 90) return `Too many attempts. Try again in ${seconds} seconds.`
  const minutes = Math.ceil(seconds / 60)
  return `Too many attempts. Try again in ${minutes} minutes.`
}
