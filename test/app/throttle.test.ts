import {
  createExecutionContext,
  createScheduledController,
  env,
  waitOnExecutionContext,
} from 'cloudflare:test'
import { count, sql } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { sessions } from '../../src/core/db/schema'
import { loginThrottles } from '../../src/core/security/tables'
import worker from '../../src/index'
import { db, PASSWORD, post, signup, uniqueEmail } from './helpers'

let address = 0
/** Each test its own client address, so throttle counts never leak between tests. */
const from = () => ({ 'CF-Connecting-IP': `198.51.100.${++address}` })

describe('login throttling (ASVS 6.3.1)', () => {
  it('blocks an email from one address after 5 failures, with 429 and Retry-After', async () => {
    const email = uniqueEmail()
    await signup({ email })
    const headers = from()
    for (let i = 0; i < 5; i++) {
      expect((await post('/login', { email, password: 'wrong guess' }, { headers })).status).toBe(
        400,
      )
    }
    const blocked = await post('/login', { email, password: PASSWORD }, { headers })
    expect(blocked.status).toBe(429)
    expect(Number(blocked.headers.get('Retry-After'))).toBeGreaterThan(800)
    expect(await blocked.text()).toContain('Too many attempts. Try again in 15 minutes.')
  })

  it('does not let an attacker elsewhere lock the owner out', async () => {
    const email = uniqueEmail()
    await signup({ email })
    const attacker = from()
    for (let i = 0; i < 6; i++)
      await post('/login', { email, password: 'wrong guess' }, { headers: attacker })
    const owner = await post('/login', { email, password: PASSWORD }, { headers: from() })
    expect(owner.status).toBe(303)
  })

  it('answers unknown emails the same way, so throttling reveals no accounts', async () => {
    const headers = from()
    const email = uniqueEmail('nobody')
    for (let i = 0; i < 5; i++)
      await post('/login', { email, password: 'wrong guess' }, { headers })
    expect((await post('/login', { email, password: 'wrong guess' }, { headers })).status).toBe(429)
  })

  it('counts parallel failures without losing any', async () => {
    const email = uniqueEmail()
    const headers = from()
    const attempts = Array.from({ length: 8 }, () =>
      post('/login', { email, password: 'x' }, { headers }),
    )
    const statuses = (await Promise.all(attempts)).map((r) => r.status)
    // Attempts that finish early may already block later ones; none may fail otherwise.
    expect(statuses.filter((s) => s !== 400 && s !== 429)).toEqual([])
    expect(statuses.filter((s) => s === 400).length).toBeGreaterThanOrEqual(5)
    // Were increments lost (read-modify-write races), eight failures could count as one.
    expect((await post('/login', { email, password: 'x' }, { headers })).status).toBe(429)
  })

  it('clears the count for that email and address after a success', async () => {
    const email = uniqueEmail()
    await signup({ email })
    const headers = from()
    for (let i = 0; i < 4; i++)
      await post('/login', { email, password: 'wrong guess' }, { headers })
    expect((await post('/login', { email, password: PASSWORD }, { headers })).status).toBe(303)
    for (let i = 0; i < 4; i++) {
      expect((await post('/login', { email, password: 'wrong guess' }, { headers })).status).toBe(
        400,
      )
    }
  })

  it('blocks one address trying many emails after 50 failures', async () => {
    const headers = from()
    for (let i = 0; i < 50; i++) {
      await post('/login', { email: uniqueEmail('stuff'), password: 'wrong guess' }, { headers })
    }
    const res = await post(
      '/login',
      { email: uniqueEmail('stuff'), password: 'wrong guess' },
      { headers },
    )
    expect(res.status).toBe(429)
  })
})

describe('scheduled clean-up', () => {
  it('deletes expired sessions and stale throttle windows', async () => {
    const long = new Date(Date.now() - 3 * 86_400_000)
    await db()
      .insert(sessions)
      .values({ idHash: 'e'.repeat(64), userId: 1, createdAt: long, expiresAt: long })
    await db()
      .insert(loginThrottles)
      .values({ keyHash: 'f'.repeat(64), failures: 3, windowStartedAt: long })
    const ctx = createExecutionContext()
    await worker.scheduled(createScheduledController(), env, ctx)
    await waitOnExecutionContext(ctx)
    const [s] = await db()
      .select({ n: count() })
      .from(sessions)
      .where(sql`id_hash = ${'e'.repeat(64)}`)
    const [t] = await db()
      .select({ n: count() })
      .from(loginThrottles)
      .where(sql`key_hash = ${'f'.repeat(64)}`)
    expect(Number(s?.n)).toBe(0)
    expect(Number(t?.n)).toBe(0)
  })
})
