import { env } from 'cloudflare:test'
import { eq } from 'drizzle-orm'
import { afterAll, afterEach, describe, expect, inject, it, vi } from 'vitest'
import { sessions } from '../../src/core/db/schema'
import { unsealSession } from '../../src/core/sessions/sessions'
import { getConfig } from '../../src/core/config'
import { countDatabaseCalls } from '../app/database-calls'
import {
  callApp,
  captureLogs,
  cookieFrom,
  db,
  get,
  ORIGIN,
  PASSWORD,
  post,
  SESSION,
  signup,
  uniqueAddress,
  uniqueEmail,
} from '../app/helpers'

// The product in front of the example app (examples/hello-app) in one workerd: APP is the app in
// front mode, BINDING_APP the same app asking over the AuthService binding, AUTH that binding.

const logs = captureLogs()
afterAll(() => logs.restore())
afterEach(() => {
  vi.restoreAllMocks()
})

async function signedIn(username = 'Ada') {
  const email = uniqueEmail('front')
  await signup({ username, email })
  const res = await post('/login', { email, password: PASSWORD })
  const cookie = cookieFrom(res, SESSION)!
  expect(res.status).toBe(303)
  return { email, cookie }
}

interface Echo {
  headers: Record<string, string>
  /** The names of the cookies the app received (the example never echoes their values). */
  cookies: string[]
  user: { id: number; username: string; email: string; emailVerified: boolean } | null
}

const echo = async (res: Response) => {
  expect(res.status).toBe(200)
  return (await res.json()) as Echo
}

function viaBinding(path: string, headers: Record<string, string> = {}) {
  return env.BINDING_APP.fetch(`${ORIGIN}${path}`, {
    headers: { 'CF-Connecting-IP': uniqueAddress(), ...headers },
    redirect: 'manual',
  })
}

describe('AuthService.getSession over the binding', () => {
  it('returns the signed-in user and the session expiry, in one statement', async () => {
    const { email, cookie } = await signedIn()
    const calls = countDatabaseCalls()
    const user = await env.AUTH.getSession(`theme=dark; ${cookie}`)
    expect(calls()).toBe(1)
    expect(user).toMatchObject({ username: 'Ada', email, emailVerified: false })
    expect(typeof user!.id).toBe('number')
    expect(user!.expiresAt).toBeInstanceOf(Date)
    expect(user!.expiresAt.getTime()).toBeGreaterThan(Date.now())
    // Nothing that could be replayed as a cookie crosses the binding.
    expect(Object.keys(user!).sort()).toEqual([
      'email',
      'emailVerified',
      'expiresAt',
      'id',
      'username',
    ])
  })

  it('returns null without a database statement when there is no session cookie', async () => {
    const calls = countDatabaseCalls()
    expect(await env.AUTH.getSession(null)).toBeNull()
    expect(await env.AUTH.getSession('')).toBeNull()
    expect(await env.AUTH.getSession('session=x; other=y')).toBeNull()
    // A tampered seal fails its HMAC before any database call.
    expect(await env.AUTH.getSession(`${SESSION}=Fe26.2**forged`)).toBeNull()
    expect(calls()).toBe(0)
  })

  it('returns null for an ended session and for an expired one', async () => {
    const ended = await signedIn()
    const out = await post('/logout', {}, { cookie: ended.cookie })
    expect(out.status).toBe(303)
    expect(await env.AUTH.getSession(ended.cookie)).toBeNull()

    const expired = await signedIn()
    const sealed = decodeURIComponent(expired.cookie.slice(`${SESSION}=`.length))
    const { idHash } = (await unsealSession(getConfig(env), sealed))!
    await db()
      .update(sessions)
      .set({ expiresAt: new Date(Date.now() - 1000) })
      .where(eq(sessions.idHash, idHash))
    expect(await env.AUTH.getSession(expired.cookie)).toBeNull()
  })

  it('builds the sign-in URL with a checked next', async () => {
    expect(await env.AUTH.signInUrl('/app/private?x=1')).toBe('/?next=%2Fapp%2Fprivate%3Fx%3D1')
    expect(await env.AUTH.signInUrl('//evil.example')).toBe('/')
    expect(await env.AUTH.signInUrl('https://evil.example/')).toBe('/')
  })

  it('lets the example app greet the signed-in user and guard its private page', async () => {
    const { cookie } = await signedIn('Grace')
    const home = await viaBinding('/app', { Cookie: cookie })
    expect(await home.text()).toContain('Hello, Grace.')
    const anonymous = await viaBinding('/app/private?tab=1')
    expect(anonymous.status).toBe(303)
    expect(anonymous.headers.get('Location')).toBe('/?next=%2Fapp%2Fprivate%3Ftab%3D1')
    // In binding mode the app ignores identity headers: only the binding says who is signed in.
    const forged = await echo(await viaBinding('/app/echo', { 'Edge-Auth-User-Id': '1' }))
    expect(forged.user).toBeNull()
  })
})

describe('front mode', () => {
  it('forwards an anonymous request with no identity headers and no database statement', async () => {
    const calls = countDatabaseCalls()
    const res = await get('/app/echo?x=1', {
      headers: {
        'Edge-Auth-User-Id': '1',
        'edge-auth-email': 'root@example.com',
        'X-Other': 'kept',
      },
    })
    const { headers, user } = await echo(res)
    expect(calls()).toBe(0)
    expect(user).toBeNull()
    expect(Object.keys(headers).filter((h) => h.startsWith('edge-auth-'))).toEqual([])
    expect(headers['x-other']).toBe('kept')
    // The app's answer comes back as it sent it: none of the product's headers are added.
    expect(res.headers.get('Content-Security-Policy')).toBeNull()
    expect(res.headers.get('Content-Type')).toContain('application/json')
  })

  it('passes the app its own cookies when none of the product’s are sent', async () => {
    const calls = countDatabaseCalls()
    const { cookies, user } = await echo(await get('/app/echo', { cookie: 'theme=dark; lang=en' }))
    expect(calls()).toBe(0)
    expect(user).toBeNull()
    expect(cookies).toEqual(['theme', 'lang'])
  })

  it('never forwards a dead session cookie, and reads it once', async () => {
    const calls = countDatabaseCalls()
    const { cookies, user } = await echo(
      await get('/app/echo', { cookie: `theme=dark; ${SESSION}=Fe26.2**forged` }),
    )
    expect(calls()).toBe(0) // a seal that fails its HMAC costs no statement
    expect(user).toBeNull()
    expect(cookies).toEqual(['theme'])
  })

  it('forwards a signed-in request with the verified user, never the session cookie', async () => {
    const { email, cookie } = await signedIn()
    const calls = countDatabaseCalls()
    const res = await get('/app/echo', {
      cookie: `theme=dark; ${cookie}; __Host-flash=x; ch-mfa=y; lang=en`,
      headers: { 'Edge-Auth-User-Id': '1', 'Edge-Auth-Username': 'root' },
    })
    const { headers, cookies, user } = await echo(res)
    expect(calls()).toBe(1)
    expect(cookies).toEqual(['theme', 'lang'])
    expect(headers['edge-auth-username']).toBe('Ada')
    expect(headers['edge-auth-email']).toBe(email)
    expect(headers['edge-auth-email-verified']).toBe('false')
    expect(Number(headers['edge-auth-user-id'])).toBe(user!.id)
    expect(user!.id).not.toBe(1)
    expect(user).toMatchObject({ username: 'Ada', email, emailVerified: false })
  })

  it('percent-encodes what a header cannot hold, and the middleware decodes it', async () => {
    const { cookie } = await signedIn('Zoë 🚀 100%')
    const { headers, user } = await echo(await get('/app/echo', { cookie }))
    expect(headers['edge-auth-username']).toBe('Zo%C3%AB %F0%9F%9A%80 100%25')
    expect(user!.username).toBe('Zoë 🚀 100%')
  })

  it('sends signed-out visitors of protected paths to sign in with next', async () => {
    const cases: Array<[string, string]> = [
      ['/app/private', '/?next=%2Fapp%2Fprivate'],
      ['/app/private/deep?q=1', '/?next=%2Fapp%2Fprivate%2Fdeep%3Fq%3D1'],
      // However the app's router might read the path: case, escapes, doubled slashes.
      ['/APP/Private', '/?next=%2FAPP%2FPrivate'],
      ['/app/%70rivate', '/?next=%2Fapp%2F%2570rivate'],
      ['/app//private', '/?next=%2Fapp%2F%2Fprivate'],
      ['/staff', '/?next=%2Fstaff'],
      ['/staff/users', '/?next=%2Fstaff%2Fusers'],
    ]
    for (const [path, location] of cases) {
      const res = await get(path)
      expect(res.status, path).toBe(303)
      expect(res.headers.get('Location'), path).toBe(location)
      expect(res.headers.get('Content-Security-Policy'), path).toContain("default-src 'self'")
    }
    const htmx = await get('/app/private', { mode: 'htmx' })
    expect(htmx.status).toBe(204)
    expect(htmx.headers.get('HX-Redirect')).toBe('/?next=%2Fapp%2Fprivate')
    // A prefix protects its segment, not every name that starts with it.
    expect((await get('/staffroom')).status).toBe(404)
    expect((await get('/app/privateer')).status).toBe(404)
  })

  it('keeps the product’s own paths: they are never forwarded', async () => {
    expect((await get('/welcome')).headers.get('Location')).toBe('/')
    const missing = await get('/account/not-a-page')
    expect(missing.status).toBe(404)
    expect(await missing.text()).toContain('There is no page at this address.')
    expect((await get('/')).status).toBe(200)
  })

  it('takes a visitor from a protected page through sign-in and back, then signs out', async () => {
    const email = uniqueEmail('round')
    await signup({ username: 'Ada', email })
    const sent = await get('/app/private?tab=2')
    const signInPage = sent.headers.get('Location')!
    const form = await (await get(signInPage)).text()
    expect(form).toContain('<input type="hidden" name="next" value="/app/private?tab=2"/>')
    const login = await post('/login', { email, password: PASSWORD, next: '/app/private?tab=2' })
    expect(login.status).toBe(303)
    expect(login.headers.get('Location')).toBe('/app/private?tab=2')
    const cookie = cookieFrom(login, SESSION)!
    const page = await get('/app/private?tab=2', { cookie })
    expect(page.status).toBe(200)
    expect(await page.text()).toContain(`Signed in as Ada (${email}, not confirmed yet).`)
    const out = await post('/logout', {}, { cookie })
    expect(out.status).toBe(303)
    expect((await get('/app/private', { cookie })).status).toBe(303)
  })
})

describe('front mode under MOUNT_PATH=/auth', () => {
  const mounted = { MOUNT_PATH: '/auth' }
  it('keeps /auth for the product and forwards everything else, its old paths included', async () => {
    const page = await callApp('/auth', mounted)
    expect(page.status).toBe(200)
    expect(await page.text()).toContain('action="/auth/login"')
    const protectedPage = await callApp('/app/private', mounted)
    expect(protectedPage.status).toBe(303)
    expect(protectedPage.headers.get('Location')).toBe('/auth?next=%2Fapp%2Fprivate')
    // /welcome is the app's now: it answers (Hono's plain 404), not the product.
    const welcome = await callApp('/welcome', mounted)
    expect(welcome.status).toBe(404)
    expect(await welcome.text()).toBe('404 Not Found')
    const { user } = await echo(await callApp('/app/echo', mounted))
    expect(user).toBeNull()
  })
})

async function outage(part: 'gateway', action: 'stop' | 'start') {
  const res = await fetch(`${inject('outageControlUrl')}/${part}/${action}`, { method: 'POST' })
  expect(res.status).toBe(204)
}

describe.sequential('during a database outage', () => {
  it('getSession throws the typed error, the pages and the app answer 503, nobody is signed out', async () => {
    const { cookie } = await signedIn()
    await outage('gateway', 'stop')
    try {
      const failure = await env.AUTH.getSession(cookie).then(
        () => undefined,
        (err: unknown) => err,
      )
      expect(failure).toBeInstanceOf(Error)
      expect((failure as Error).message).toMatch(/^AuthUnavailableError: /)
      const viaApp = await viaBinding('/app', { Cookie: cookie })
      expect(viaApp.status).toBe(503)
      expect(viaApp.headers.get('Retry-After')).toBe('30')
      const front = await get('/app/echo', { cookie })
      expect(front.status).toBe(503)
      expect(front.headers.get('Retry-After')).toBe('30')
      expect(front.headers.getSetCookie()).toEqual([])
      // Anonymous forwarding needs no database: it still works.
      expect((await get('/app/echo')).status).toBe(200)
    } finally {
      await outage('gateway', 'start')
    }
    expect(await env.AUTH.getSession(cookie)).not.toBeNull()
  })
})
