import { describe, expect, inject, it } from 'vitest'
import { callApp, cookieFrom, PASSWORD, SESSION, signedIn, uniqueEmail } from './helpers'

const database = { DATABASE_URL: inject('outageDatabaseUrl') }

async function control(part: 'mysql' | 'gateway', action: 'stop' | 'start') {
  const res = await fetch(`${inject('outageControlUrl')}/${part}/${action}`, { method: 'POST' })
  expect(res.status).toBe(204)
}

/** Signs a fresh user up and in on the outage stack; returns the email and session cookie. */
async function signedInOnOutageStack() {
  const email = uniqueEmail('outage')
  const signup = new URLSearchParams({ username: 'Ola', email, password: PASSWORD })
  expect((await callApp('/signup', database, { method: 'POST', body: signup })).status).toBe(303)
  const login = new URLSearchParams({ email, password: PASSWORD })
  const res = await callApp('/login', database, { method: 'POST', body: login })
  const cookie = cookieFrom(res, SESSION)
  expect(cookie).toBeDefined()
  return { email, cookie: cookie! }
}

async function expectUnavailable(res: Response) {
  expect(res.status).toBe(503)
  expect(Number(res.headers.get('Retry-After'))).toBeGreaterThan(0)
  // The person stays signed in: an outage never clears the session cookie.
  expect(res.headers.getSetCookie().filter((h) => h.startsWith(SESSION))).toEqual([])
  expect(await res.text()).toContain('cannot reach its database')
}

describe.sequential('outages (the database comes back by itself)', () => {
  for (const part of ['gateway', 'mysql'] as const) {
    it(`answers 503 while the ${part} is down, in both modes, then serves again`, async () => {
      const { email, cookie } = await signedInOnOutageStack()
      await control(part, 'stop')
      try {
        await expectUnavailable(await callApp('/welcome', database, { cookie }))
        await expectUnavailable(await callApp('/welcome', database, { cookie, mode: 'htmx' }))
        const login = new URLSearchParams({ email, password: PASSWORD })
        await expectUnavailable(await callApp('/login', database, { method: 'POST', body: login }))
        await expectUnavailable(
          await callApp('/login', database, { method: 'POST', body: login, mode: 'htmx' }),
        )
      } finally {
        await control(part, 'start')
      }
      const back = await callApp('/welcome', database, { cookie })
      expect(back.status).toBe(200)
      expect(await back.text()).toContain('Welcome, Ola')
    })
  }

  it('answers 503 in bounded time when the database accepts but never answers', async () => {
    // A server that accepts connections and never answers stands in for a hung database.
    const stalled = new URL(inject('pwnedStalledUrl'))
    const url = `http://user:${'p'.repeat(32)}@${stalled.host}`
    const started = Date.now()
    const body = new URLSearchParams({ email: uniqueEmail(), password: PASSWORD })
    const res = await callApp(
      '/login',
      { DATABASE_URL: url, DATABASE_TIMEOUT_MS: '300' },
      { method: 'POST', body },
    )
    expect(res.status).toBe(503)
    // Bounded by the configured timeout (generous margin for a loaded machine), not by the client.
    expect(Date.now() - started).toBeLessThan(10_000)
  })

  for (const [what, key] of [
    ['stalls', 'halfAnswerStalledUrl'],
    ['is cut off', 'halfAnswerCutUrl'],
  ] as const) {
    it(`answers 503 when the database's answer ${what} after its headers`, async () => {
      // A signed-in page: its session read is a plain statement (a sign-in's throttle reservation
      // turns any failure into a refusal of its own).
      const { cookie } = await signedIn()
      const broken = { DATABASE_URL: inject(key), DATABASE_TIMEOUT_MS: '300' }
      await expectUnavailable(await callApp('/welcome', broken, { cookie }))
    })
  }
})
