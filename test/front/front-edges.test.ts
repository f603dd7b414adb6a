import { env } from 'cloudflare:test'
import { eq } from 'drizzle-orm'
import { afterAll, describe, expect, it } from 'vitest'
import { sessions } from '../../src/core/db/schema'
import { countDatabaseCalls } from '../app/database-calls'
import {
  captureLogs,
  cookieFrom,
  db,
  get,
  ORIGIN,
  PASSWORD,
  post,
  SESSION,
  sessionHashOf,
  signup,
  uniqueAddress,
  uniqueEmail,
} from '../app/helpers'

const logs = captureLogs()
afterAll(() => logs.restore())

async function signedIn() {
  const email = uniqueEmail('front-edge')
  await signup({ username: 'Ada', email })
  return cookieFrom(await post('/login', { email, password: PASSWORD }), SESSION)!
}

const expiresSession = (res: Response) =>
  res.headers.getSetCookie().some((c) => c.startsWith(`${SESSION}=;`) && /Max-Age=0/i.test(c))

const echoed = async (res: Response) => {
  expect(res.status).toBe(200)
  return (await res.json()) as { headers: Record<string, string>; user: { id: number } | null }
}

describe('front mode at its edges', () => {
  it('expires a dead session cookie on a forwarded answer, as a product page does', async () => {
    const cookie = await signedIn()
    await db()
      .delete(sessions)
      .where(eq(sessions.idHash, await sessionHashOf(cookie)))
    const calls = countDatabaseCalls()
    const forwarded = await get('/app/echo', { cookie })
    expect(forwarded.status).toBe(200)
    expect(calls()).toBe(1)
    expect(expiresSession(forwarded)).toBe(true)
    // Still the app's answer: none of the product's other headers.
    expect(forwarded.headers.get('Content-Security-Policy')).toBeNull()
  })

  it('never vouches for the user on a write another origin sent (ASVS 3.5.1)', async () => {
    const cookie = await signedIn()
    const sibling = { Origin: 'https://other.edge-auth.test' }
    // A protected path is refused, as the product's own forms refuse.
    expect((await post('/logout', {}, { cookie, headers: sibling })).status).toBe(403)
    expect((await post('/app/private', { x: '1' }, { cookie, headers: sibling })).status).toBe(403)
    // Anything else reaches the app as from nobody.
    const cross = await echoed(await post('/app/echo', {}, { cookie, headers: sibling }))
    expect(cross.user).toBeNull()
    expect(Object.keys(cross.headers).filter((h) => h.startsWith('edge-auth-'))).toEqual([])
    const site = { Origin: ORIGIN, 'Sec-Fetch-Site': 'same-site' }
    expect((await echoed(await post('/app/echo', {}, { cookie, headers: site }))).user).toBeNull()
    // The app's own origin still carries the user, on a write as on a read.
    expect((await echoed(await post('/app/echo', {}, { cookie }))).user).not.toBeNull()
    const same = { Origin: ORIGIN, 'Sec-Fetch-Site': 'same-origin' }
    expect(
      (await echoed(await post('/app/echo', {}, { cookie, headers: same }))).user,
    ).not.toBeNull()
    expect(logs.lines().filter((l) => l.event === 'front_cross_origin_write')).toHaveLength(3)
  })

  it('the example keeps its personalised answers out of every cache', async () => {
    const cookie = await signedIn()
    const home = await get('/app', { cookie })
    expect(await home.text()).toContain('Hello, Ada.')
    expect(home.headers.get('Cache-Control')).toContain('no-store')
    expect((await get('/app/echo', { cookie })).headers.get('Cache-Control')).toContain('no-store')
  })

  it('the example in binding mode never shows a script the HttpOnly session cookie', async () => {
    const cookie = await signedIn()
    const res = await env.BINDING_APP.fetch(`${ORIGIN}/app/echo`, {
      headers: { 'CF-Connecting-IP': uniqueAddress(), Cookie: `theme=dark; ${cookie}` },
    })
    const body = await res.text()
    expect(JSON.parse(body).user).not.toBeNull()
    expect(body).not.toContain(cookie.split('=')[1]!.slice(0, 24))
    expect(JSON.parse(body).cookies).toEqual(['theme', SESSION])
  })
})
