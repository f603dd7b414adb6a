import { eq } from 'drizzle-orm'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { sessions, users } from '../../src/core/db/schema'
import { countDatabaseCalls, recordDatabaseCalls, roundTrips } from './database-calls'
import {
  callApp,
  cookieFrom,
  db,
  PASSWORD,
  post,
  SESSION,
  signup,
  signedIn,
  uniqueEmail,
} from './helpers'

afterEach(() => vi.restoreAllMocks())

async function userSession(email: string) {
  const [user] = await db().select({ id: users.id }).from(users).where(eq(users.email, email))
  const [row] = await db().select().from(sessions).where(eq(sessions.userId, user!.id))
  return row!
}

describe('database work per request', () => {
  it('anonymous pages make no call', async () => {
    const count = countDatabaseCalls()
    await callApp('/', {})
    await callApp('/signup', {})
    expect(count()).toBe(0)
  })

  it('an authenticated page reads once and writes nothing', async () => {
    const { cookie } = await signedIn()
    const count = countDatabaseCalls()
    const res = await callApp('/welcome', {}, { cookie })
    expect(res.status).toBe(200)
    expect(count()).toBe(1)
  })

  it('a login from an unknown browser takes three round trips: the account counts only once the client may try', async () => {
    const email = uniqueEmail()
    await signup({ email })
    const calls = recordDatabaseCalls()
    const body = new URLSearchParams({ email, password: PASSWORD })
    const res = await callApp('/login', {}, { method: 'POST', body })
    expect(res.status).toBe(303)
    // Pair + subscriber reservations and the user (with its session count); the account's
    // reservation; then forget, refund and the session insert (no trim below the cap).
    expect(calls.length).toBe(7)
    expect(roundTrips(calls)).toBe(3)
  })

  it('a login from a known device takes two round trips', async () => {
    const email = uniqueEmail()
    await signup({ email })
    const first = await post('/login', { email, password: PASSWORD })
    const device = cookieFrom(first, '__Host-device')!
    const calls = recordDatabaseCalls()
    const body = new URLSearchParams({ email, password: PASSWORD })
    const res = await callApp('/login', {}, { method: 'POST', body, cookie: device })
    expect(res.status).toBe(303)
    // The device's reservation and the user; then forget the device's count and the session.
    expect(calls.length).toBe(4)
    expect(roundTrips(calls)).toBe(2)
  })

  it('a wrong password was counted before bcrypt ran, and counted in a row after', async () => {
    const email = uniqueEmail()
    await signup({ email })
    const calls = recordDatabaseCalls()
    const body = new URLSearchParams({ email, password: 'not the password at all' })
    const res = await callApp('/login', {}, { method: 'POST', body })
    expect(res.status).toBe(400)
    // Pair, subscriber, user; account; one more failure in a row.
    expect(calls.length).toBe(5)
    expect(roundTrips(calls)).toBe(3)
  })

  it('a signup takes two round trips: reserve + look the email up, then insert', async () => {
    const calls = recordDatabaseCalls()
    const body = new URLSearchParams({ username: 'Al', email: uniqueEmail(), password: PASSWORD })
    const res = await callApp('/signup', {}, { method: 'POST', body })
    expect(res.status).toBe(303)
    expect(calls.length).toBe(3)
    expect(roundTrips(calls)).toBe(2)
  })

  it('a logout is one DELETE', async () => {
    const { cookie } = await signedIn()
    const count = countDatabaseCalls()
    const res = await callApp(
      '/logout',
      {},
      { method: 'POST', cookie, body: new URLSearchParams() },
    )
    expect(res.status).toBe(303)
    expect(count()).toBe(1)
  })
})

describe('session timeouts', () => {
  it('slides the idle expiry only once half the idle window has passed', async () => {
    const { email, cookie } = await signedIn()
    const before = await userSession(email)
    // More than half of the 60-second idle window left: no write.
    await db()
      .update(sessions)
      .set({ expiresAt: new Date(Date.now() + 50_000) })
      .where(eq(sessions.idHash, before.idHash))
    let calls = countDatabaseCalls()
    expect((await callApp('/welcome', { SESSION_IDLE_SECONDS: '60' }, { cookie })).status).toBe(200)
    expect(calls()).toBe(1)
    vi.restoreAllMocks()
    // Less than half left: one read and one write that moves the expiry a full window ahead.
    await db()
      .update(sessions)
      .set({ expiresAt: new Date(Date.now() + 10_000) })
      .where(eq(sessions.idHash, before.idHash))
    calls = countDatabaseCalls()
    expect((await callApp('/welcome', { SESSION_IDLE_SECONDS: '60' }, { cookie })).status).toBe(200)
    expect(calls()).toBe(2)
    const after = await userSession(email)
    expect(after.expiresAt.getTime()).toBeGreaterThan(Date.now() + 50_000)
  })

  it('ends a session idle past its expiry (ASVS 7.3.1)', async () => {
    const { email, cookie } = await signedIn()
    const row = await userSession(email)
    await db()
      .update(sessions)
      .set({ expiresAt: new Date(Date.now() - 1000) })
      .where(eq(sessions.idHash, row.idHash))
    const res = await callApp('/welcome', {}, { cookie })
    expect(res.status).toBe(303)
    expect(cookieFrom(res, SESSION)).toBe(`${SESSION}=`)
  })

  it('ends a session past its absolute lifetime however active (ASVS 7.3.2)', async () => {
    const { email, cookie } = await signedIn()
    const row = await userSession(email)
    const createdAt = new Date(Date.now() - 2 * 3600_000)
    await db().update(sessions).set({ createdAt }).where(eq(sessions.idHash, row.idHash))
    expect((await callApp('/welcome', {}, { cookie })).status).toBe(200)
    expect(
      (await callApp('/welcome', { SESSION_ABSOLUTE_SECONDS: '3600' }, { cookie })).status,
    ).toBe(303)
  })

  it('never slides past the absolute lifetime', async () => {
    const { email, cookie } = await signedIn()
    const row = await userSession(email)
    const createdAt = new Date(Date.now() - 3000_000)
    // A few seconds left, not one: DATETIME keeps whole seconds, so a 1-second margin can be gone.
    await db()
      .update(sessions)
      .set({ createdAt, expiresAt: new Date(Date.now() + 5000) })
      .where(eq(sessions.idHash, row.idHash))
    await callApp('/welcome', { SESSION_ABSOLUTE_SECONDS: '3600' }, { cookie })
    const after = await userSession(email)
    expect(after.expiresAt.getTime()).toBeLessThanOrEqual(createdAt.getTime() + 3600_000)
    expect(after.expiresAt.getTime()).toBeGreaterThan(Date.now() + 500_000)
  })
})
