// The tiny preset's one router is plenty for a dozen routes and half the size of the default pair.
import { Hono } from 'hono/tiny'
import { csrf } from 'hono/csrf'
import { getConfig } from './config'
import { createDb } from './db/client'
import { purgeExpiredSessions } from './db/sessions'
import { purgeThrottles } from './db/throttles'
import { purgeExpiredTokens } from './db/tokens'
import type { AppEnv, Bindings } from './env'
import { notFound, onError } from './errors'
import { BODY_METHODS, context, formsOnly, headers, httpsOnly, limitBody } from './middleware'
import { accountRoutes } from './routes/account'
import { authRoutes } from './routes/auth'
import { emailChangeRoutes } from './routes/email-change'
import { recoveryRoutes } from './routes/recovery'
import { logEvent } from './log'
import { pageRenderer } from './views/render'

export const app = new Hono<AppEnv>()

// Order matters: headers on every answer (errors included), plain http sent to https, then refuse
// what is not a same-origin form before reading a byte of it, then config and database. The form
// checks only ever act on methods that carry a body; GETs (most requests) skip their layers.
app.use(pageRenderer)
app.use(headers)
app.use(httpsOnly)
app.on(BODY_METHODS, '*', formsOnly, csrf(), limitBody)
app.use(context)
app.route('/', authRoutes)
app.route('/', recoveryRoutes)
// Before /account: its confirmation link is opened signed out too, and /account's guard would
// send that visitor away.
app.route('/account/email', emailChangeRoutes)
app.route('/account', accountRoutes)
app.notFound(notFound)
app.onError(onError)

export default {
  fetch: app.fetch,
  /** Cron trigger: expired sessions and old throttle windows are dead weight nothing reads. */
  async scheduled(_controller: ScheduledController, env: Bindings, _ctx: ExecutionContext) {
    const config = getConfig(env)
    const db = createDb(env.DATABASE_URL, config.databaseTimeoutMs)
    const now = new Date()
    const sessions = await purgeExpiredSessions(db, now)
    await purgeThrottles(db, new Date(now.getTime() - 24 * 3600_000))
    const tokens = await purgeExpiredTokens(db, now)
    logEvent('info', 'purged', { sessions, tokens })
  },
} satisfies ExportedHandler<Bindings>
