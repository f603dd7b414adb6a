import { Hono } from 'hono'
import { csrf } from 'hono/csrf'
import { getConfig } from './config'
import { createDb } from './db/client'
import { purgeExpiredSessions } from './db/sessions'
import type { AppEnv, Bindings } from './env'
import { notFound, onError } from './errors'
import { context, formsOnly, headers, limitBody } from './middleware'
import { authRoutes } from './routes/auth'
import { logEvent } from './log'

export const app = new Hono<AppEnv>()

// Order matters: headers on every answer (errors included), then refuse what is not a same-origin
// form before reading a byte of it, then config and database for the routes.
app.use(headers)
app.use(formsOnly)
app.use(csrf())
app.use(limitBody)
app.use(context)
app.route('/', authRoutes)
app.notFound(notFound)
app.onError(onError)

export default {
  fetch: app.fetch,
  /** Cron trigger: expired session rows are dead weight; logins never read them. */
  async scheduled(_controller: ScheduledController, env: Bindings) {
    getConfig(env)
    await purgeExpiredSessions(createDb(env.DATABASE_URL), new Date())
    logEvent('info', 'sessions_purged', {})
  },
} satisfies ExportedHandler<Bindings>
