import type { Context } from 'hono'
import { keyedHash } from './auth/throttle'
import type { AppEnv } from './env'
import { logEvent } from './log'
import { clientAddress } from './request-info'

type AuditAction =
  | 'signup'
  | 'login'
  | 'logout'
  | 'session_end'
  | 'password_change'
  | 'account_delete'
  | 'password_reset'
  | 'email_verify'
  | 'email_change'
type Outcome = 'success' | 'failure' | 'throttled'

/**
 * One audit line per authentication event (ASVS 16.3.1): what, outcome, the user when known, the
 * client as a keyed hash of its address (correlatable, not reversible) and its user agent. Never a
 * password, hash, cookie, session id or email.
 */
export async function audit(
  c: Context<AppEnv>,
  action: AuditAction,
  outcome: Outcome,
  fields: { userId?: number; reason?: string; count?: number } = {},
) {
  const hash = await keyedHash(c.var.config.sessionSecret)
  const client = (await hash(`client\n${clientAddress(c)}`)).slice(0, 16)
  const userAgent = (c.req.header('User-Agent') ?? '').slice(0, 200)
  logEvent(outcome === 'success' ? 'info' : 'warn', 'audit', {
    action,
    outcome,
    ...fields,
    client,
    userAgent,
  })
}
