// The tiny preset's one router is plenty for a few dozen routes and half the size of the default pair.
import { Hono } from 'hono/tiny'
import { csrf } from 'hono/csrf'
import { getConfig } from './core/config'
import { forwardAnonymous, front } from './core/front/front'
import { createDb } from './core/db/client'
import type { AppEnv, Bindings } from './core/env'
import { notFound, onError } from './core/http/errors'
import {
  BODY_METHODS,
  context,
  formsOnly,
  headers,
  httpsOnly,
  limitBody,
} from './core/http/middleware'
import { purgeExpired } from './core/lifecycle'
import { logEvent } from './core/security/log'
import { pageRenderer } from './core/ui/render'
import { features } from './features'

// The service binding API for a team's own Worker (README: Protect your own app).
export { AuthService } from './core/service/auth-service'

export const app = new Hono<AppEnv>()

// Order matters: headers on every answer (errors included), plain http sent to https, then refuse
// what is not a same-origin form before reading a byte of it, then config and database. The form
// checks only ever act on methods that carry a body; GETs (most requests) skip their layers.
app.use(pageRenderer)
// Front mode (an APP service binding): what is not the product's is forwarded, untouched by what follows.
app.use(front(features, headers))
app.use(headers)
app.use(httpsOnly)
app.on(BODY_METHODS, '*', formsOnly, csrf(), limitBody)
app.use(context(features))
// Every capability's routes, from the one list (src/features.ts).
for (const feature of features) if (feature.routes) app.route('/', feature.routes)
app.notFound(notFound)
app.onError(onError)

const forward = forwardAnonymous(features)

export default {
  // Front mode's common case (an anonymous request for the team's app) skips the middleware chain.
  async fetch(request: Request, env: Bindings, ctx: ExecutionContext) {
    return (await forward(request, env)) ?? app.fetch(request, env, ctx)
  },
  /** Cron trigger: expired sessions, secrets and old throttle windows are dead weight. */
  async scheduled(_controller: ScheduledController, env: Bindings, _ctx: ExecutionContext) {
    const config = getConfig(env)
    const db = createDb(env.DATABASE_URL, config.databaseTimeoutMs)
    logEvent('info', 'purged', await purgeExpired(db, features, new Date()))
  },
} satisfies ExportedHandler<Bindings>
