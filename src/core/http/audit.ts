import type { Context } from 'hono'
import type { AppEnv } from '../env'
import type { Feature, SecurityEvent } from '../feature'
import { describeError, logEvent } from '../security/log'
import { keyedHash } from '../security/throttle'
import { clientAddress, requestOrigin } from './request'
import { describeUserAgent } from './user-agent'

type Outcome = 'success' | 'failure' | 'throttled'

/**
 * One audit line per authentication event (ASVS 16.3.1): what (`action`, a snake_case name the
 * feature gives its event, such as `login` or `email_change`), outcome, the user when known, the
 * client as a keyed hash of its address (correlatable, not reversible) and its user agent. Never a
 * password, hash, cookie, session id or email. An event of a known user is also handed to every
 * feature's `recordEvent` (the owner's activity list) after the answer, so no page waits for it.
 */
export async function audit<E extends AppEnv>(
  c: Context<E>,
  action: string,
  outcome: Outcome,
  fields: {
    userId?: number
    reason?: string
    count?: number
    method?: string
    /** The admin who acted on `userId`'s account (features/admin). */
    adminId?: number
    /** The account an admin's refused action named: logged only, never in anyone's activity. */
    targetId?: number
  } = {},
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
  if (fields.userId !== undefined) {
    const { location } = requestOrigin(c)
    record(c, {
      userId: fields.userId,
      at: new Date(),
      action,
      outcome,
      method: fields.method ?? '',
      reason: fields.reason ?? '',
      // An admin's action on the account: the user's line names support, never where the admin is
      // or what they use.
      place: fields.adminId === undefined ? location.slice(0, 100) : '',
      browser: fields.adminId === undefined ? describeUserAgent(userAgent).slice(0, 64) : '',
    })
  }
}

function record<E extends AppEnv>(c: Context<E>, event: SecurityEvent) {
  const recorders = (c.var.features as readonly Feature[] | undefined)?.flatMap((f) =>
    f.recordEvent ? [f.recordEvent] : [],
  )
  if (!recorders?.length) return
  let ctx: ExecutionContext
  try {
    ctx = c.executionCtx
  } catch {
    return // no execution context (a direct call outside a request): nothing can outlive it
  }
  const db = c.var.db
  // Started on a later turn of the event loop, once the handler has answered (as deliver.ts does).
  const later = new Promise((resolve) => setTimeout(resolve, 0)).then(() =>
    Promise.all(recorders.map((write) => write(db, event))),
  )
  ctx.waitUntil(
    later.catch((err: unknown) =>
      logEvent('error', 'activity_write_failed', { action: event.action, ...describeError(err) }),
    ),
  )
}
