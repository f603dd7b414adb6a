import type { Context } from 'hono'
import type { AppEnv } from '../env'
import { logEvent } from '../security/log'
import { keyedHash } from '../security/throttle'
import { clientAddress } from './request'

type Outcome = 'success' | 'failure' | 'throttled'

/**
 * One audit line per authentication event (ASVS 16.3.1): what (`action`, a snake_case name the
 * feature gives its event, such as `login` or `email_change`), outcome, the user when known, the
 * client as a keyed hash of its address (correlatable, not reversible) and its user agent. Never a
 * password, hash, cookie, session id or email.
 */
export async function audit<E extends AppEnv>(
  c: Context<E>,
  action: string,
  outcome: Outcome,
  fields: { userId?: number; reason?: string; count?: number; method?: string } = {},
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
