import { WorkerEntrypoint } from 'cloudflare:workers'
import { parse } from 'hono/utils/cookie'
import { getConfig } from '../config'
import { createDb, isDatabaseUnavailable } from '../db/client'
import type { Bindings } from '../env'
import { mountPath } from '../http/mount'
import { safeNext, withNext } from '../http/next'
import { describeError, logEvent } from '../security/log'
import { SESSION_COOKIE } from '../sessions/cookie'
import { loadSession } from '../sessions/sessions'
import { authUser, AuthUnavailableError, type AuthUser } from './auth-user'

/**
 * The sign-in as a service for a team's own Worker on the same hostname, over a service binding
 * (`[[services]] binding = "AUTH", service = "edge-auth", entrypoint = "AuthService"`): a call in
 * the same thread, no network hop, and the app holds no database credentials or session secret.
 */
export class AuthService extends WorkerEntrypoint<Bindings> {
  /**
   * The signed-in user of a request, from its `Cookie` header, or null. One statement, as a signed-in
   * page (plus the hourly write that slides the idle expiry); no cookie costs none. A database outage
   * throws `AuthUnavailableError` (answer 503), never null: nobody is signed out by an outage.
   */
  async getSession(cookieHeader: string | null | undefined): Promise<AuthUser | null> {
    const config = getConfig(this.env)
    const cookies = parse(typeof cookieHeader === 'string' ? cookieHeader : '')
    // Only the __Host- cookie (Secure, set by this host over https; ASVS 3.3.1); the bare name is what
    // plain-http localhost sets, accepted outside production only.
    const sealed =
      cookies[`__Host-${SESSION_COOKIE}`] ??
      (config.production ? undefined : cookies[SESSION_COOKIE])
    if (sealed === undefined) return null
    try {
      const session = await loadSession(
        createDb(this.env.DATABASE_URL, config.databaseTimeoutMs),
        config,
        sealed,
      )
      return session && authUser(session)
    } catch (err) {
      // The message of a failed query holds its parameters: log the class, send a fixed message.
      logEvent('error', isDatabaseUnavailable(err) ? 'database_unavailable' : 'service_error', {
        ...describeError(err),
        call: 'getSession',
      })
      if (isDatabaseUnavailable(err)) throw new AuthUnavailableError()
      throw new Error('edge-auth: getSession failed')
    }
  }

  /**
   * Where to send a signed-out visitor: the sign-in page, returning to `next` afterwards when it is a
   * same-origin path (anything else is dropped, and sign-in ends on the welcome page).
   */
  signInUrl(next?: string | null): string {
    return mountPath(getConfig(this.env).mountPath, withNext('/', safeNext(next)))
  }
}
