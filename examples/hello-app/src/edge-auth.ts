// Copy this file into your own Hono app to know who is signed in through edge-auth.
//
// Two setups (README, "Protect your own app"):
// - binding: your Worker serves its own routes (example.com/*), edge-auth serves example.com/auth/*,
//   and your Worker asks edge-auth over a service binding: `[[services]] binding = "AUTH",
//   service = "edge-auth", entrypoint = "AuthService"`.
// - front: edge-auth serves the whole hostname and forwards what is not its own to your Worker
//   (its `[[services]] binding = "APP"`), with the user in `Edge-Auth-*` headers. Your Worker must
//   then be reachable only through that binding: `workers_dev = false` and no routes.
import type { Context, MiddlewareHandler } from 'hono'
import { createMiddleware } from 'hono/factory'

/** Who is signed in, as edge-auth tells it. */
export interface EdgeAuthUser {
  id: number
  username: string
  email: string
  emailVerified: boolean
  /** In binding mode only: when the session ends unless used again. */
  expiresAt?: Date
}

/** The part of edge-auth's `AuthService` this middleware calls over the binding. */
export interface AuthServiceBinding {
  getSession(cookieHeader: string | null): Promise<EdgeAuthUser | null>
  signInUrl(next: string): Promise<string>
}

export type EdgeAuthEnv = {
  /** AUTH_PATH: where edge-auth is mounted on this hostname ('' at the root, or its MOUNT_PATH). */
  Bindings: { AUTH?: AuthServiceBinding; AUTH_PATH?: string }
  Variables: { user: EdgeAuthUser | null }
}

/** Whether an error from `getSession` means edge-auth cannot reach its database (answer 503). */
export function isAuthUnavailable(err: unknown): boolean {
  return err instanceof Error && err.message.startsWith('AuthUnavailableError')
}

function fromHeaders(c: Context): EdgeAuthUser | null {
  const id = c.req.header('Edge-Auth-User-Id')
  if (!id) return null
  return {
    id: Number(id),
    // Non-ASCII characters arrive percent-encoded (UTF-8).
    username: decodeURIComponent(c.req.header('Edge-Auth-Username') ?? ''),
    email: decodeURIComponent(c.req.header('Edge-Auth-Email') ?? ''),
    emailVerified: c.req.header('Edge-Auth-Email-Verified') === 'true',
  }
}

/**
 * Puts the signed-in user (or null) in `c.var.user`. `front`: read the headers edge-auth set (only
 * safe when nothing but edge-auth can reach this Worker). `binding`: ask edge-auth, one statement per
 * request that carries a cookie; an outage answers 503 rather than treating anyone as signed out.
 */
export function edgeAuth(mode: 'front' | 'binding'): MiddlewareHandler<EdgeAuthEnv> {
  return createMiddleware<EdgeAuthEnv>(async (c, next) => {
    if (mode === 'front') {
      c.set('user', fromHeaders(c))
      return next()
    }
    try {
      c.set('user', (await c.env.AUTH?.getSession(c.req.header('Cookie') ?? null)) ?? null)
    } catch (err) {
      if (!isAuthUnavailable(err)) throw err
      return c.text('Sign-in is unavailable right now. Try again in a minute.', 503, {
        'Retry-After': '30',
      })
    }
    await next()
  })
}

/** Sends signed-out visitors to sign in, coming back to this page afterwards. */
export const signedIn = createMiddleware<EdgeAuthEnv>(async (c, next) => {
  c.header('Cache-Control', 'no-store')
  if (c.var.user) return next()
  const url = new URL(c.req.url)
  const here = url.pathname + url.search
  // In front mode edge-auth already sent signed-out visitors of PROTECTED_PATHS to sign in; this
  // covers pages the list forgot.
  const target = c.env.AUTH
    ? await c.env.AUTH.signInUrl(here)
    : `${c.env.AUTH_PATH ?? ''}/?next=${encodeURIComponent(here)}`
  return c.redirect(target, 303)
})
