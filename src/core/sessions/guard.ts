import type { Context } from 'hono'
import { createMiddleware } from 'hono/factory'
import type { AppEnv } from '../env'
import { navigate } from '../ui/render'
import { readSession } from './cookie'
import type { LiveSession } from './sessions'

/** The environment of a route behind `signedIn`: the session is there, never null. */
export type SignedInEnv = AppEnv & { Variables: { auth: LiveSession } }
export type SignedInContext = Context<SignedInEnv>

/**
 * The one guard of signed-in routes: loads the session, sends visitors without one to sign in, and
 * marks every answer, errors included, `no-store` (ASVS 14.3.2: authenticated pages are never kept
 * by the browser or shown again by Back). Behind it `c.var.auth` is typed non-null.
 */
export const signedIn = createMiddleware<SignedInEnv>(async function signedIn(c, next) {
  c.header('Cache-Control', 'no-store')
  if (!(await readSession(c as unknown as Context<AppEnv>))) return navigate(c, '/')
  await next()
})
