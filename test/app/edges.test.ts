import {
  createExecutionContext,
  createScheduledController,
  env,
  waitOnExecutionContext,
} from 'cloudflare:test'
import { and, count, eq, gte, lt } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sessions, users } from '../../src/core/db/schema'
import worker from '../../src/index'
import {
  callApp,
  captureLogs,
  cookieFrom,
  db,
  get,
  PASSWORD,
  post,
  SESSION,
  sessionHashOf,
  signedIn,
  signup,
  uniqueAddress,
  uniqueEmail,
  userIdOf,
} from './helpers'

let logs: ReturnType<typeof captureLogs>
beforeAll(() => {
  logs = captureLogs()
})
afterAll(() => logs.restore())

const HSTS = 'max-age=31536000; includeSubDomains'
const PLACEHOLDER = 'replace-with-at-least-32-random-characters'

async function sessionHashes(userId: number) {
  const rows = await db()
    .select({ idHash: sessions.idHash })
    .from(sessions)
    .where(eq(sessions.userId, userId))
  return rows.map((r) => r.idHash).sort()
}

describe('configuration edges', () => {
  it.each(['prod', 'Production', 'PRODUCTION', 'staging', 'dev', '', ' test', 'test ', 'tests'])(
    'ENVIRONMENT %j answers 500 without naming the setting',
    async (environment) => {
      const res = await callApp('/', { ENVIRONMENT: environment })
      expect(res.status).toBe(500)
      const html = await res.text()
      expect(html).toContain('Something went wrong')
      expect(html).not.toContain('ENVIRONMENT')
      expect(res.headers.get('Strict-Transport-Security')).toBe(HSTS)
    },
  )

  it('the three exact environments run', async () => {
    expect((await callApp('/', { ENVIRONMENT: 'test' })).status).toBe(200)
    expect((await callApp('/', { ENVIRONMENT: 'development' })).status).toBe(200)
    expect((await callApp('/', { ENVIRONMENT: 'production', BCRYPT_COST: '10' })).status).toBe(200)
  })

  it.each([
    ['test', {}],
    ['production', { BCRYPT_COST: '10' }],
    ['development', {}],
  ] as const)(
    'the .dev.vars.example placeholder secret answers 500 in %s',
    async (environment, extra) => {
      const res = await callApp('/', {
        ENVIRONMENT: environment,
        SESSION_SECRET: PLACEHOLDER,
        ...extra,
      })
      expect(res.status).toBe(500)
      expect(await res.text()).not.toContain(PLACEHOLDER)
      // Not even on a developer's own machine.
      const local = await callApp(
        '/',
        { ENVIRONMENT: environment, SESSION_SECRET: PLACEHOLDER, ...extra },
        { url: 'http://localhost:8787/' },
      )
      expect(local.status).toBe(500)
    },
  )

  it('caps BCRYPT_COST where a login (hash + compare) would pass the CPU limit', async () => {
    const test = { ENVIRONMENT: 'test' }
    expect((await callApp('/', { ...test, BCRYPT_COST: '13', CPU_LIMIT_MS: '1000' })).status).toBe(
      500,
    )
    expect((await callApp('/', { ...test, BCRYPT_COST: '13' })).status).toBe(500)
    expect((await callApp('/', { ...test, BCRYPT_COST: '12', CPU_LIMIT_MS: '1000' })).status).toBe(
      200,
    )
    expect((await callApp('/', { ...test, BCRYPT_COST: '13', CPU_LIMIT_MS: '30000' })).status).toBe(
      200,
    )
    expect((await callApp('/', { ...test, BCRYPT_COST: '12', CPU_LIMIT_MS: '500' })).status).toBe(
      500,
    )
    expect((await callApp('/', { ...test, BCRYPT_COST: '11', CPU_LIMIT_MS: '500' })).status).toBe(
      200,
    )
    const lines = logs.lines().filter((l) => l.event === 'config_error')
    expect(lines.some((l) => String(l.message).startsWith('BCRYPT_COST must be'))).toBe(true)
  })
})

describe('transport', () => {
  it.each([
    ['GET', 'http://edge-auth.test/signup?x=1', 'https://edge-auth.test/signup?x=1'],
    ['GET', 'http://edge-auth.test/', 'https://edge-auth.test/'],
    ['POST', 'http://edge-auth.test/login', 'https://edge-auth.test/login'],
    ['GET', 'http://localhost.evil.example/', 'https://localhost.evil.example/'],
    ['GET', 'http://127.0.0.2/welcome', 'https://127.0.0.2/welcome'],
  ])('%s %s over plain http gets 308 to https', async (method, url, location) => {
    const body = method === 'POST' ? new URLSearchParams({ email: 'a@b.io', password: 'x' }) : null
    const res = await callApp('', {}, { url, method, body })
    expect(res.status).toBe(308)
    expect(res.headers.get('Location')).toBe(location)
    expect(res.headers.get('Strict-Transport-Security')).toBe(HSTS)
  })

  it.each([
    'http://localhost:8787/',
    'http://127.0.0.1:8787/',
    'http://[::1]:8787/',
    'http://app.localhost/',
  ])('plain http on loopback (%s) is served', async (url) => {
    expect((await callApp('', {}, { url })).status).toBe(200)
  })

  it('sends HSTS for a year with subdomains on pages, redirects and errors', async () => {
    const answers = [
      await get('/'),
      await get('/signup'),
      await get('/welcome'),
      await get('/nowhere'),
      await post('/login', { email: uniqueEmail(), password: 'x' }),
      await post(
        '/login',
        { email: 'a@b.io', password: 'x' },
        { headers: { Origin: 'https://evil.example' } },
      ),
      await callApp(
        '/welcome',
        { DATABASE_URL: 'http://user:pass@127.0.0.1:9' },
        {
          cookie: (await signedIn()).cookie,
        },
      ),
    ]
    expect(answers.map((r) => r.status)).toEqual([200, 200, 303, 404, 400, 403, 503])
    for (const res of answers) expect(res.headers.get('Strict-Transport-Security')).toBe(HSTS)
  })
})

describe('GET /logout and fetch metadata', () => {
  it.each([
    ['same-origin', 'GET', true],
    ['none', 'GET', true],
    ['same-site', 'GET', false],
    ['cross-site', 'GET', false],
    [undefined, 'GET', false],
    ['SAME-ORIGIN', 'GET', false],
    ['same-origin', 'HEAD', false],
    ['none', 'HEAD', false],
  ] as const)('Sec-Fetch-Site %s with %s signs out: %s', async (site, method, signsOut) => {
    const { email, cookie } = await signedIn()
    const id = await userIdOf(email)
    const headers: Record<string, string> = { Cookie: cookie, 'CF-Connecting-IP': uniqueAddress() }
    if (site) headers['Sec-Fetch-Site'] = site
    const res = await callApp('/logout', {}, { method, headers })
    expect(res.headers.get('Cache-Control')).toBe('no-store')
    const alive = await get('/welcome', { cookie })
    if (signsOut) {
      expect(res.status).toBe(303)
      expect(await sessionHashes(id)).toEqual([])
      expect(alive.status).toBe(303)
    } else {
      expect(res.status).toBe(200)
      if (method === 'GET') expect(await res.text()).toContain('Sign out?')
      expect(cookieFrom(res, SESSION)).toBeUndefined()
      expect(await sessionHashes(id)).toHaveLength(1)
      expect(alive.status).toBe(200)
    }
  })
})

describe('audit lines (ASVS 16.3.1)', () => {
  it('one line per signup, login success/failure/throttle and logout, with nothing secret', async () => {
    const agent = `AuditProbe/1.0 (${Math.random().toString(36).slice(2)})`
    const address = uniqueAddress()
    const elsewhere = uniqueAddress()
    const headers = { 'User-Agent': agent, 'CF-Connecting-IP': address }
    const email = uniqueEmail('audit')
    const password = `audit passphrase ${Math.random().toString(36).slice(2)}`
    logs.clear()

    const email2 = email
    expect(
      (await post('/signup', { username: 'Aud', email: email2, password }, { headers })).status,
    ).toBe(303)
    const userId = await userIdOf(email2)
    expect(
      (await post('/login', { email: email2, password: 'wrong one' }, { headers })).status,
    ).toBe(400)
    const nobody = uniqueEmail('audit-nobody')
    expect(
      (await post('/login', { email: nobody, password: 'whatever' }, { headers })).status,
    ).toBe(400)
    const login = await post('/login', { email: email2, password }, { headers })
    expect(login.status).toBe(303)
    const cookie = cookieFrom(login, SESSION)!
    const idHash = await sessionHashOf(cookie)
    expect((await post('/logout', {}, { cookie, headers })).status).toBe(303)
    const other = { 'User-Agent': agent, 'CF-Connecting-IP': elsewhere }
    for (let i = 0; i < 5; i++)
      await post('/login', { email: email2, password: 'wrong' }, { headers: other })
    expect((await post('/login', { email: email2, password }, { headers: other })).status).toBe(429)

    const mine = logs.lines().filter((l) => l.event === 'audit' && l.userAgent === agent)
    const summary = mine.map((l) => `${l.action} ${l.outcome}${l.reason ? ` ${l.reason}` : ''}`)
    expect(summary).toEqual([
      'signup success',
      'login failure password',
      'login failure unknown_email',
      'login success',
      'logout success',
      ...Array(5).fill('login failure password'),
      'login throttled',
    ])
    for (const line of mine) {
      expect(line.client).toMatch(/^[0-9a-f]{16}$/)
      // The logout line's user id is checked (and fails) in the test below.
      if (line.action === 'logout') continue
      if (line.reason !== 'unknown_email') expect(line.userId).toBe(userId)
      else expect(line.userId).toBeUndefined()
    }
    // The client is a keyed hash: one per address, never the address itself.
    const clients = new Set(mine.map((l) => l.client))
    expect(clients.size).toBe(2)
    expect(mine[0]!.client).toBe(mine[4]!.client)
    expect(mine[0]!.client).not.toBe(mine.at(-1)!.client)

    const text = logs.raw()
    const [{ pass_word: hash } = { pass_word: '' }] = await db()
      .select({ pass_word: users.pass_word })
      .from(users)
      .where(eq(users.id, userId))
    const sealed = decodeURIComponent(cookie.slice(cookie.indexOf('=') + 1))
    for (const secret of [email, nobody, password, hash, sealed, idHash, address, elsewhere])
      expect(text).not.toContain(secret)
  })

  // BUG (src/routes/auth.tsx logout() + src/session-cookie.ts signOut): POST /logout and GET /logout
  // run without withSession, so c.var.auth is unset and signOut() returns undefined: the logout
  // audit line never carries the user id, although the session row being deleted names the user.
  // Expected {"action":"logout","outcome":"success","userId":<id>,...}; observed no userId field.
  it('the logout line names the user who signed out', async () => {
    const agent = `AuditLogout/1.0 (${Math.random().toString(36).slice(2)})`
    const { email, cookie } = await signedIn()
    const userId = await userIdOf(email)
    logs.clear()
    for (const res of [
      await post('/logout', {}, { cookie, headers: { 'User-Agent': agent } }),
      await get('/logout', {
        cookie: (await post('/login', { email, password: PASSWORD }).then((r) =>
          cookieFrom(r, SESSION),
        ))!,
        headers: { 'User-Agent': agent, 'Sec-Fetch-Site': 'same-origin' },
      }),
    ])
      expect(res.status).toBe(303)
    const lines = logs.lines().filter((l) => l.action === 'logout' && l.userAgent === agent)
    expect(lines).toHaveLength(2)
    for (const line of lines) expect(line.userId).toBe(userId)
  })

  it('a throttled signup is audited too', async () => {
    const agent = `AuditSignup/1.0 (${Math.random().toString(36).slice(2)})`
    const headers = { 'User-Agent': agent, 'CF-Connecting-IP': uniqueAddress() }
    logs.clear()
    for (let i = 0; i < 11; i++) {
      await post(
        '/signup',
        { username: 'Aud', email: uniqueEmail('audit'), password: PASSWORD },
        { headers },
      )
    }
    const mine = logs.lines().filter((l) => l.event === 'audit' && l.userAgent === agent)
    expect(mine.map((l) => l.outcome)).toEqual([...Array(10).fill('success'), 'throttled'])
    expect(mine.every((l) => l.action === 'signup')).toBe(true)
  })
})

describe('scheduled purge', () => {
  it('removes more than one batch (1,000) of expired sessions and keeps live ones', async () => {
    const userId = 900_000_000 + Math.floor(Math.random() * 99_000_000)
    const past = new Date(Date.now() - 2 * 86_400_000)
    const future = new Date(Date.now() + 86_400_000)
    const row = (i: number, expiresAt: Date) => ({
      idHash: `${userId.toString(16)}${i.toString(16).padStart(8, '0')}`.padEnd(64, 'e'),
      userId,
      createdAt: past,
      expiresAt,
    })
    for (let start = 0; start < 2500; start += 500) {
      await db()
        .insert(sessions)
        .values(Array.from({ length: 500 }, (_, i) => row(start + i, past)))
    }
    await db()
      .insert(sessions)
      .values([0, 1, 2].map((i) => row(10_000 + i, future)))
    const mine = eq(sessions.userId, userId)
    const [before] = await db()
      .select({ n: count() })
      .from(sessions)
      .where(and(mine, lt(sessions.expiresAt, new Date())))
    expect(Number(before?.n)).toBe(2500)

    logs.clear()
    const ctx = createExecutionContext()
    await worker.scheduled(createScheduledController(), env, ctx)
    await waitOnExecutionContext(ctx)

    const [expired] = await db()
      .select({ n: count() })
      .from(sessions)
      .where(and(mine, lt(sessions.expiresAt, new Date())))
    const [live] = await db()
      .select({ n: count() })
      .from(sessions)
      .where(and(mine, gte(sessions.expiresAt, new Date())))
    expect(Number(expired?.n)).toBe(0)
    expect(Number(live?.n)).toBe(3)
    // (Other files' purges may run at the same time and take some of these rows: no exact count.)
    const purged = logs.lines().find((l) => l.event === 'purged')
    expect(Number(purged?.sessions)).toBeGreaterThan(0)
    await db().delete(sessions).where(mine)
  })
})

describe('sessions per user', () => {
  // BUG (src/auth/sessions.ts startSession): insertSession and trimUserSessions run in parallel
  // (Promise.all) and the trim keeps "the 19 newest" assuming the new row is not there yet.
  // Observed over 6 users x 21 sequential logins from one address:
  //  - the insert landed first: the trim counted the new row among the 19 and ended one session
  //    too many (19 rows left, the two oldest ended; expected 20 rows, only the oldest ended);
  //  - at the 20th login, with created_at ties (DATETIME whole seconds), the insert landed first
  //    and an arbitrary session was ended (the 2nd oldest, the oldest survived); with ties the new
  //    session itself can be the one ended, leaving its cookie dead at once;
  //  - the two statements deadlocked (errno 1213; trimUserSessions is not in retryOnDeadlock)
  //    and the login answered 503 "cannot reach its database".
  // Skipped rather than it.fails because it fails only when the race goes the wrong way.
  // Expected: exactly 20 rows, the oldest ended, the new session kept, no 503 (e.g. trim with
  // `id_hash <> newIdHash`, order by created_at, id_hash, and retry deadlocks).
  it('21 logins leave 20 sessions, the oldest ended', async () => {
    const email = uniqueEmail('cap')
    await signup({ email })
    const id = await userIdOf(email)
    const headers = { 'CF-Connecting-IP': uniqueAddress() }
    const cookies: string[] = []
    for (let i = 0; i < 20; i++) {
      const res = await post('/login', { email, password: PASSWORD }, { headers })
      expect(res.status).toBe(303)
      cookies.push(cookieFrom(res, SESSION)!)
    }
    const hashes = await Promise.all(cookies.map(sessionHashOf))
    expect(await sessionHashes(id)).toEqual([...hashes].sort())
    // DATETIME keeps whole seconds: spread the 20 sessions a minute apart so "oldest" is defined.
    for (const [i, hash] of hashes.entries()) {
      await db()
        .update(sessions)
        .set({ createdAt: new Date(Date.now() - (21 - i) * 60_000) })
        .where(eq(sessions.idHash, hash))
    }
    const last = await post('/login', { email, password: PASSWORD }, { headers })
    expect(last.status).toBe(303)
    const newest = cookieFrom(last, SESSION)!
    const kept = [...hashes.slice(1), await sessionHashOf(newest)].sort()
    expect(await sessionHashes(id)).toEqual(kept)
    expect((await get('/welcome', { cookie: cookies[0] })).status).toBe(303)
    expect((await get('/welcome', { cookie: cookies[1] })).status).toBe(200)
    expect((await get('/welcome', { cookie: newest })).status).toBe(200)
  })
})
