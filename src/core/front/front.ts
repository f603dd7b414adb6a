import type { Context, MiddlewareHandler } from 'hono'
import { createMiddleware } from 'hono/factory'
import { HTTPException } from 'hono/http-exception'
import { getConfig, type Config } from '../config'
import type { AppEnv, Bindings } from '../env'
import type { Feature } from '../feature'
import { isProductCookie } from '../http/cookies'
import { onError } from '../http/errors'
import { context } from '../http/middleware'
import { internalPath } from '../http/mount'
import { withNext } from '../http/next'
import { isLoopback } from '../http/request'
import { logEvent } from '../security/log'
import { authUser, type AuthUser } from '../service/auth-user'
import { readSession } from '../sessions/cookie'
import { leave } from '../ui/render'

// Front mode: the product answers its own routes and forwards everything else to the team's Worker
// bound as APP, with the verified user in headers. The app must be reachable only through this
// binding (workers_dev = false, no routes): the headers are trusted because nobody else can send
// them to it.

/** The headers front mode sets; any the client sent under these names are removed first. */
export const USER_HEADERS = {
  id: 'Edge-Auth-User-Id',
  username: 'Edge-Auth-Username',
  email: 'Edge-Auth-Email',
  emailVerified: 'Edge-Auth-Email-Verified',
} as const
const HEADER_PREFIX = 'edge-auth-'

/**
 * The product's paths: the first segment of every feature route (`/account`, `/reset`, ...), and
 * `/` itself. Everything under such a segment stays with the product, 404s included, so an app page
 * can never shadow or be shadowed by a product page depending on the method.
 */
function ownSegments(features: readonly Feature[]): Set<string> {
  const segments = new Set<string>()
  for (const feature of features) {
    for (const route of feature.routes?.routes ?? []) segments.add(route.path.split('/')[1] ?? '')
  }
  return segments
}

/** The path as the app's router may read it: percent-decoded, repeated slashes folded, lower case. */
function comparable(pathname: string): string[] {
  const folded = (p: string) => p.replace(/\/{2,}/g, '/').toLowerCase()
  let decoded = pathname
  try {
    decoded = decodeURIComponent(pathname)
  } catch {
    // A malformed escape: match the raw form only.
  }
  return [folded(pathname), folded(decoded)]
}

function isProtected(pathname: string, prefixes: readonly string[]): boolean {
  return comparable(pathname).some((path) =>
    prefixes.some((p) => p === '/' || path === p || path.startsWith(`${p}/`)),
  )
}

/** Header values are bytes: UTF-8 outside printable ASCII (and `%` itself) is percent-encoded. */
function headerValue(text: string): string {
  return text.replace(/[^\x20-\x24\x26-\x7e]/gu, (ch) => encodeURIComponent(ch))
}

/** The request as the app receives it: no forged identity headers, none of the product's cookies. */
function appRequest(request: Request, user: AuthUser | null): Request {
  const headers = new Headers(request.headers)
  for (const name of [...headers.keys()]) if (name.startsWith(HEADER_PREFIX)) headers.delete(name)
  const kept = cookieParts(headers.get('Cookie')).filter(
    (part) => !isProductCookie(cookieName(part)),
  )
  if (kept.length > 0) headers.set('Cookie', kept.join('; '))
  else headers.delete('Cookie')
  if (user) {
    headers.set(USER_HEADERS.id, String(user.id))
    headers.set(USER_HEADERS.username, headerValue(user.username))
    headers.set(USER_HEADERS.email, headerValue(user.email))
    headers.set(USER_HEADERS.emailVerified, user.emailVerified ? 'true' : 'false')
  }
  return new Request(request, { headers })
}

function cookieParts(header: string | null): string[] {
  return (header ?? '')
    .split(';')
    .map((part) => part.trim())
    .filter((part) => part !== '')
}

function cookieName(part: string): string {
  const at = part.indexOf('=')
  return (at < 0 ? part : part.slice(0, at)).trim()
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS'])

/**
 * A request that changes something and that the browser says came from another origin: a sibling
 * subdomain is the same site, so SameSite=Lax still sends it the session cookie.
 */
function crossOriginWrite(request: Request, url: URL): boolean {
  if (SAFE_METHODS.has(request.method)) return false
  const site = request.headers.get('Sec-Fetch-Site')
  if (site && site !== 'same-origin') return true
  const origin = request.headers.get('Origin')
  return origin !== null && origin !== url.origin
}

/** The app's answer, with the product's own cookie changes (a dead session's cookie expired). */
function withProductCookies(forwarded: Response, cookies: string[]): Response {
  // A WebSocket upgrade cannot be copied; its cookie is expired by the next page instead.
  if (cookies.length === 0 || forwarded.webSocket) return forwarded
  const answer = new Response(forwarded.body, forwarded)
  for (const cookie of cookies) answer.headers.append('Set-Cookie', cookie)
  return answer
}

/** Under MOUNT_PATH the product owns its mount alone; at the root, its routes' first segments. */
function isOwnPath(pathname: string, segments: Set<string>, mount: string): boolean {
  if (mount) return pathname === mount || pathname.startsWith(`${mount}/`)
  return pathname === '/' || segments.has(pathname.split('/')[1]!)
}

/**
 * The quick way through front mode, before Hono is involved: a request for the app that carries
 * none of the product's cookies (so nobody is signed in, and no database statement is needed) and
 * is not for a protected path is forwarded as it came, less any `Edge-Auth-*` header. Everything
 * else (the product's paths, sessions, sign-in first, https, configuration errors) is left to the
 * app's middleware chain: undefined. Forwarding is most of what front mode does, and this keeps
 * its cost near that of the service binding call itself.
 */
export function forwardAnonymous(features: readonly Feature[]) {
  let segments: Set<string> | undefined
  return async function forwardAnonymous(
    request: Request,
    env: Bindings,
  ): Promise<Response | undefined> {
    const app = env.APP
    if (!app) return undefined
    const url = new URL(request.url)
    segments ??= ownSegments(features)
    const mount = (env.MOUNT_PATH ?? '/').trim()
    if (isOwnPath(url.pathname, segments, mount === '/' ? '' : mount)) return undefined
    if (url.protocol === 'http:' && !isLoopback(url.hostname)) return undefined
    const cookies = cookieParts(request.headers.get('Cookie'))
    if (cookies.some((part) => isProductCookie(cookieName(part)))) return undefined
    let config: Config
    try {
      config = getConfig(env)
    } catch {
      return undefined // the error page is the middleware chain's to answer
    }
    if (config.sessionSecretIsFallback && !isLoopback(url.hostname)) return undefined
    if (config.mountPath !== (mount === '/' ? '' : mount)) return undefined
    if (isProtected(url.pathname, config.protectedPaths)) return undefined
    let forged = false
    request.headers.forEach((_value, name) => (forged ||= name.startsWith(HEADER_PREFIX)))
    return app.fetch(forged ? appRequest(request, null) : request)
  }
}

/**
 * Front mode in the middleware chain (after `forwardAnonymous` declined), mounted before every other middleware: without an APP binding, or for the product's
 * own paths, it only passes the request on. Otherwise the app's answer comes back unchanged; the
 * product's own answers (sign in first, https, errors) get the product's security headers.
 */
export function front(
  features: readonly Feature[],
  headers: MiddlewareHandler,
  mount: string,
): MiddlewareHandler<AppEnv> {
  let segments: Set<string> | undefined
  const setUp = context(features)
  /** The product's own answer to a request it would forward, or undefined to forward it. */
  async function decide(c: Context<AppEnv>, url: URL): Promise<Response | undefined> {
    // ASVS 12.2.1, as for the product's own pages.
    if (url.protocol === 'http:' && !isLoopback(url.hostname)) {
      url.protocol = 'https:'
      return c.redirect(url.toString(), 308)
    }
    await setUp(c, async () => {})
    // No session cookie: no database statement. A cookie: the one read a signed-in page makes.
    const session = await readSession(c)
    const isProtectedPath = isProtected(url.pathname, c.var.config.protectedPaths)
    if (session && crossOriginWrite(c.req.raw, url)) {
      // ASVS 3.5.1, as the product's own forms (hono/csrf): the product vouches for the user only
      // on what the app's own origin sent. A protected path is refused, as the product's forms
      // refuse; any other goes on as from nobody, so the app's public endpoints still answer.
      logEvent('warn', 'front_cross_origin_write', { method: c.req.method })
      if (isProtectedPath) throw new HTTPException(403, { message: 'Forbidden' })
      c.set('auth', null)
      return undefined
    }
    if (!session && isProtectedPath) {
      c.header('Cache-Control', 'no-store')
      // A full page load: an htmx request from the app's page must not swap the sign-in into it.
      return leave(c, internalPath(c, withNext('/', url.pathname + url.search)))
    }
    return undefined
  }
  return createMiddleware<AppEnv>(async function front(c, next) {
    const app = c.env.APP
    if (!app) return next()
    const url = new URL(c.req.url)
    segments ??= ownSegments(features)
    if (isOwnPath(url.pathname, segments, mount)) return next()

    // Decide first; the app's answer never passes through `headers` (which would add to it), and
    // only the product's own answers (https, sign in first, errors) get them.
    let own: Response | undefined
    try {
      own = await decide(c, url)
    } catch (err) {
      own = await onError(err as Error, c)
    }
    if (own) {
      const answer = own
      await headers(c, async () => {
        c.res = answer
      })
      return c.res
    }
    const session = c.var.auth
    const forwarded = await app.fetch(appRequest(c.req.raw, session && authUser(session)))
    // Hono's `c.res` setter merges the headers of a response already there (the product's security
    // headers, which the app's answer must not get): keep only its cookie changes, then clear it.
    const answer = withProductCookies(forwarded, c.res.headers.getSetCookie())
    c.res = undefined
    c.res = answer
    return answer
  })
}
