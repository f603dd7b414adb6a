import type { LiveSession } from '../sessions/sessions'

/**
 * Who is signed in, as other Workers learn it: through `AuthService.getSession` (a service binding
 * call) or, in front mode, the `Edge-Auth-*` request headers. Never the session id or its hash.
 */
export interface AuthUser {
  id: number
  username: string
  email: string
  /** Whether the owner has confirmed `email` by a mailed link. */
  emailVerified: boolean
  /** When this session ends unless it is used again (idle expiry within the absolute lifetime). */
  expiresAt: Date
}

export function authUser(session: LiveSession): AuthUser {
  return {
    id: session.userId,
    username: session.username,
    email: session.email,
    emailVerified: session.emailVerified,
    expiresAt: session.expiresAt,
  }
}

/**
 * Thrown by `AuthService.getSession` when the database cannot be reached: the same case in which
 * pages answer 503. A caller must answer 503 too (with `Retry-After`), never treat it as signed out.
 * RPC carries the message, not the class: callers test `isAuthUnavailable(err)` (see the example).
 */
export class AuthUnavailableError extends Error {
  override name = 'AuthUnavailableError'
  constructor() {
    super(`${AUTH_UNAVAILABLE}: the sign-in service cannot reach its database; retry in 30 s`)
  }
}

/** The first word of an `AuthUnavailableError`'s message, which survives the RPC boundary. */
export const AUTH_UNAVAILABLE = 'AuthUnavailableError'
