// First in the bundle on purpose: the common-password list is one 15 KiB string that deflate
// compresses apart from the code; in the middle of the code it cost about 0.5 KiB more gzipped.
import './core/passwords/common.generated'
// The tiny preset's one router is plenty for a few dozen routes and half the size of the default pair.
import { Hono } from 'hono/tiny'
import { csrf } from 'hono/csrf'
import { getConfig } from './core/config'
import { forwardAnonymous, front } from './core/front/front'
import { createDb } from './core/db/client'
import type { AppEnv, Bindings } from './core/env'
import { notFound, onError } from './core/http/errors'
import { MOUNT_SHAPE } from './core/http/mount'
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

// Static assets under MOUNT_PATH: the asset layer serves public/ at the root, so the Worker passes
// `/auth/css/…` on to it as `/css/…`.
const ASSET_PATHS = ['/css/*', '/js/*', '/favicon.svg']

/** The whole product, with every route under `mount` ('' for the root). */
function buildApp(mount: string) {
  const app = new Hono<AppEnv>()
  // Order matters: headers on every answer (errors included), plain http sent to https, then
  // refuse what is not a same-origin form before reading a byte of it, then config and database.
  // The form checks only ever act on methods that carry a body; GETs (most requests) skip them.
  app.use(pageRenderer)
  // Front mode (an APP service binding): what is not the product's is forwarded, untouched by
  // what follows.
  app.use(front(features, headers, mount))
  app.use(headers)
  app.use(httpsOnly)
  app.on(BODY_METHODS, '*', formsOnly, csrf(), limitBody)
  if (mount) {
    const paths = ASSET_PATHS.map((p) => mount + p)
    app.on('GET', paths, async (c) => {
      if (!c.env.ASSETS) return c.notFound()
      const url = new URL(c.req.url)
      url.pathname = url.pathname.slice(mount.length)
      const res = await c.env.ASSETS.fetch(new Request(url, c.req.raw))
      return new Response(res.body, res)
    })
  }
  app.use(context(features))
  // Every capability's routes, from the one list (src/features.ts).
  for (const feature of features) if (feature.routes) app.route(mount || '/', feature.routes)
  app.notFound(notFound)
  app.onError(onError)
  return app
}

export const app = buildApp('')
const mounted = new Map<string, Hono<AppEnv>>([['', app]])

/** The app for this deployment's MOUNT_PATH (checked again, with its message, by getConfig). */
function appFor(env: Bindings) {
  const raw = (env.MOUNT_PATH ?? '/').trim()
  const mount = MOUNT_SHAPE.test(raw) ? raw : ''
  let found = mounted.get(mount)
  if (!found) mounted.set(mount, (found = buildApp(mount)))
  return found
}

const forward = forwardAnonymous(features)

export default {
  // Front mode's common case (an anonymous request for the team's app) skips the middleware chain.
  async fetch(request: Request, env: Bindings, ctx: ExecutionContext) {
    return (await forward(request, env)) ?? appFor(env).fetch(request, env, ctx)
  },
  /** Cron trigger: expired sessions, secrets and old throttle windows are dead weight. */
  async scheduled(_controller: ScheduledController, env: Bindings, _ctx: ExecutionContext) {
    const config = getConfig(env)
    const db = createDb(env.DATABASE_URL, config.databaseTimeoutMs)
    logEvent('info', 'purged', await purgeExpired(db, features, new Date()))
  },
} satisfies ExportedHandler<Bindings>
