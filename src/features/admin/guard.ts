import type { Context } from 'hono'
import { createMiddleware } from 'hono/factory'
import type { AppEnv } from '../../core/env'
import { notFound } from '../../core/http/errors'
import { readSession } from '../../core/sessions/cookie'
import type { SignedInEnv } from '../../core/sessions/guard'

/**
 * The console's one guard: only a signed-in admin gets past; everyone else, signed in or not, gets
 * the ordinary 404 page, so the console's existence is not revealed (issue 21; ASVS 8.2.1: access
 * checked on every request, server side). The role comes with the session read: no extra statement,
 * and a role change counts from the next request.
 */
export const adminOnly = createMiddleware<SignedInEnv>(async function adminOnly(c, next) {
  c.header('Cache-Control', 'no-store')
  const auth = await readSession(c as unknown as Context<AppEnv>)
  if (!auth?.admin) return notFound(c)
  await next()
})
