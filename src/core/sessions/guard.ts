import type { Context } from 'hono'
import { createMiddleware } from 'hono/factory'
import type { AppEnv } from '../env'
import { navigate } from '../ui/render'
import type { SessionRider } from '../db/sessions'
import { readSession, readSessionWith } from './cookie'
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

/** The environment behind `signedInWith`: the session, and the rider's rows in `c.var.rides`. */
export type SignedInWithEnv<T> = SignedInEnv & { Variables: { rides: T[] } }

/**
 * `signedIn` for a page that shows a few of the user's rows: they come in the session read's own
 * statement (`SessionRider`), so the page still costs one statement.
 */
export function signedInWith<T>(rider: SessionRider<T>) {
  return createMiddleware<SignedInWithEnv<T>>(async function signedInWith(c, next) {
    c.header('Cache-Control', 'no-store')
    const found = await readSessionWith(c as unknown as Context<AppEnv>, rider)
    if (!found) return navigate(c, '/')
    c.set('rides', found.rides)
    await next()
  })
}
