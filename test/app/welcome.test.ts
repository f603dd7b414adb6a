import { count, eq } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { hashSessionId } from '../../src/core/sessions/sessions'
import { sessions, users } from '../../src/core/db/schema'
import { cookieFrom, db, FLASH, get, post, SESSION, signedIn, unsealCookie } from './helpers'

async function sessionCount(email: string) {
  const [user] = await db().select({ id: users.id }).from(users).where(eq(users.email, email))
  const [row] = await db()
    .select({ n: count() })
    .from(sessions)
    .where(eq(sessions.userId, user!.id))
  return Number(row?.n)
}

describe('GET /welcome', () => {
  it('greets the signed-in user by escaped name, uncached', async () => {
    const { cookie } = await signedIn('<b>Ada</b> & "co"')
    const res = await get('/welcome', { cookie })
    expect(res.status).toBe(200)
    expect(res.headers.get('Cache-Control')).toBe('no-store')
    expect(res.headers.getSetCookie()).toEqual([])
    const html = await res.text()
    expect(html).toContain('Welcome, &lt;b&gt;Ada&lt;/b&gt; &amp; &quot;co&quot;')
    expect(html).toContain('action="/logout"')
  })

  it('sends signed-out visitors to / (303, or HX-Location for htmx and history restores)', async () => {
    const plain = await get('/welcome')
    expect(plain.status).toBe(303)
    expect(plain.headers.get('Location')).toBe('/')
    expect(plain.headers.get('Cache-Control')).toBe('no-store')
    const htmx = await get('/welcome', { mode: 'htmx' })
    expect(htmx.status).toBe(204)
    expect(JSON.parse(htmx.headers.get('HX-Location')!)).toEqual({ path: '/' })
    const restore = await get('/welcome', {
      headers: { 'HX-History-Restore-Request': 'true', 'HX-Request-Type': 'full' },
    })
    expect(restore.status).toBe(204)
    expect(JSON.parse(restore.headers.get('HX-Location')!)).toEqual({ path: '/', replace: 'true' })
  })

  it('clears a forged or stale session cookie instead of trusting it', async () => {
    const res = await get('/welcome', { cookie: `${SESSION}=Fe26.2**forged` })
    expect(res.status).toBe(303)
    const cleared = res.headers.getSetCookie()
    expect(cleared).toHaveLength(1)
    expect(cleared[0]).toMatch(/^__Host-session=; Max-Age=0; Path=\/;/)
  })

  it('sends a signed-in visitor of / or /signup on to /welcome', async () => {
    const { cookie } = await signedIn()
    for (const path of ['/', '/signup']) {
      const res = await get(path, { cookie })
      expect(res.status).toBe(303)
      expect(res.headers.get('Location')).toBe('/welcome')
    }
  })
})

describe('logout', () => {
  it('POST /logout deletes the session row, expires the cookie and shows a notice', async () => {
    const { email, cookie } = await signedIn()
    expect(await sessionCount(email)).toBe(1)
    const res = await post('/logout', {}, { cookie })
    expect(res.status).toBe(303)
    expect(res.headers.get('Location')).toBe('/')
    expect(await sessionCount(email)).toBe(0)
    const expired = res.headers.getSetCookie().find((h) => h.startsWith(`${SESSION}=`))
    expect(expired).toMatch(/^__Host-session=; Max-Age=0; Path=\/; HttpOnly; Secure; SameSite=Lax$/)

    const login = await get('/', { cookie: cookieFrom(res, FLASH) })
    expect(await login.text()).toContain('You are signed out.')
  })

  it('makes the old cookie worthless: replaying it gets no session (ASVS 7.4.1)', async () => {
    const { cookie } = await signedIn()
    await post('/logout', {}, { cookie, mode: 'htmx' })
    const replay = await get('/welcome', { cookie })
    expect(replay.status).toBe(303)
    expect(replay.headers.get('Location')).toBe('/')
  })

  it('with htmx, answers 204 and HX-Location to /', async () => {
    const { cookie } = await signedIn()
    const res = await post('/logout', {}, { cookie, mode: 'htmx' })
    expect(res.status).toBe(204)
    expect(JSON.parse(res.headers.get('HX-Location')!)).toEqual({ path: '/' })
  })

  it('GET /logout works from this site, as in the legacy app', async () => {
    const { email, cookie } = await signedIn()
    const res = await get('/logout', { cookie, headers: { 'Sec-Fetch-Site': 'same-origin' } })
    expect(res.status).toBe(303)
    expect(await sessionCount(email)).toBe(0)
  })

  it('GET /logout from another site asks for a click instead of signing out', async () => {
    const { email, cookie } = await signedIn()
    const res = await get('/logout', { cookie, headers: { 'Sec-Fetch-Site': 'cross-site' } })
    expect(res.status).toBe(200)
    expect(await res.text()).toContain('Sign out?')
    expect(await sessionCount(email)).toBe(1)
  })

  it('stores only a hash of the session id', async () => {
    const { email, cookie } = await signedIn()
    const [user] = await db().select({ id: users.id }).from(users).where(eq(users.email, email))
    const [row] = await db().select().from(sessions).where(eq(sessions.userId, user!.id))
    const { i: sessionId, u: userId } = await unsealCookie(cookie)
    expect(userId).toBe(user!.id)
    // 32 bytes from the CSPRNG, base64url: 256 bits (ASVS 7.2.3).
    expect(sessionId).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(row?.idHash).toBe(await hashSessionId(sessionId))
    expect(row?.idHash).not.toContain(sessionId)
  })
})
