import { count, eq, sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sessions, users } from '../../src/core/db/schema'
import { loginThrottles } from '../../src/core/security/tables'
import {
  accountKey,
  callApp,
  captureLogs,
  cookieFrom,
  countUsers,
  db,
  expireBlock,
  pairKey,
  PASSWORD,
  post,
  SESSION,
  signup,
  uniqueAddress,
  uniqueEmail,
} from './helpers'

let logs: ReturnType<typeof captureLogs>
beforeAll(() => {
  logs = captureLogs()
})
afterAll(() => logs.restore())

const tally = (statuses: number[]) =>
  statuses.reduce<Record<number, number>>((t, s) => ({ ...t, [s]: (t[s] ?? 0) + 1 }), {})

/** A random /64 prefix nobody else uses, as four groups without the trailing `::`. */
function unique64() {
  const group = () => Math.floor(Math.random() * 0x10000).toString(16)
  return `2001:db8:${group()}:${group()}`
}

/** Waits (at most half a second) until the clock is in the first half of a second. */
async function startOfSecond() {
  while (Date.now() % 1000 >= 500)
    await new Promise((r) => setTimeout(r, 1000 - (Date.now() % 1000)))
}

async function userId(email: string) {
  const [row] = await db().select({ id: users.id }).from(users).where(eq(users.email, email))
  return row!.id
}

async function sessionRows(id: number) {
  const [row] = await db().select({ n: count() }).from(sessions).where(eq(sessions.userId, id))
  return Number(row?.n)
}

describe('parallel signups', () => {
  it('50 signups with one email from 50 addresses make exactly one account; the rest 409', async () => {
    const tag = uniqueEmail('race').replace('@example.com', '')
    const email = `${tag}@example.com`
    const answers = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        post('/signup', { username: `Racer ${i}`, email, password: PASSWORD }),
      ),
    )
    const statuses = answers.map((r) => r.status)
    expect(tally(statuses)).toEqual({ 303: 1, 409: 49 })
    for (const r of answers.filter((r) => r.status === 409)) {
      expect(await r.text()).toContain('An account with this email already exists.')
    }
    expect(await countUsers(tag)).toBe(1)
  })

  it('from one address, 10 signups an hour pass and the rest get 429 with Retry-After', async () => {
    const tag = uniqueEmail('flood').replace('@example.com', '')
    const address = uniqueAddress()
    const answers = await Promise.all(
      Array.from({ length: 14 }, (_, i) =>
        post(
          '/signup',
          { username: 'Flood', email: `${tag}-${i}@example.com`, password: PASSWORD },
          { headers: { 'CF-Connecting-IP': address } },
        ),
      ),
    )
    expect(tally(answers.map((r) => r.status))).toEqual({ 303: 10, 429: 4 })
    for (const r of answers.filter((r) => r.status === 429)) {
      expect(Number(r.headers.get('Retry-After'))).toBeGreaterThan(60)
    }
    expect(await countUsers(tag)).toBe(10)
    // Rotating inside the same /64 is the same subscriber.
    const sibling = address.replace(/::1$/, '::beef')
    const more = await post(
      '/signup',
      { username: 'Flood', email: `${tag}-x@example.com`, password: PASSWORD },
      { headers: { 'CF-Connecting-IP': sibling } },
    )
    expect(more.status).toBe(429)
    expect(await countUsers(tag)).toBe(10)
  })
})

describe('parallel wrong passwords', () => {
  it('a burst of 20 from one address verifies at most 5; the owner elsewhere still gets in', async () => {
    const email = uniqueEmail('burst')
    await signup({ email })
    const attacker = { 'CF-Connecting-IP': uniqueAddress() }
    logs.clear()
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        post('/login', { email, password: `wrong guess ${i}` }, { headers: attacker }),
      ),
    )
    const statuses = answers.map((r) => r.status)
    expect(statuses.filter((s) => s !== 400 && s !== 429)).toEqual([])
    expect(statuses.filter((s) => s === 400).length).toBeLessThanOrEqual(5)
    // What was verified, from the audit lines: never more than the pair's limit of 5.
    const verified = logs
      .lines()
      .filter((l) => l.action === 'login' && l.outcome === 'failure' && l.reason === 'password')
    expect(verified.length).toBe(statuses.filter((s) => s === 400).length)

    // The right password from the attacker's address waits out the 15-minute window.
    const same = await post('/login', { email, password: PASSWORD }, { headers: attacker })
    expect(same.status).toBe(429)
    expect(Number(same.headers.get('Retry-After'))).toBeGreaterThan(800)

    // From another address the owner is at most slowed by the account-wide delay (<= 60 s),
    // never held to the attacker's window; once that delay has passed the owner signs in.
    const owner = { 'CF-Connecting-IP': uniqueAddress() }
    const first = await post('/login', { email, password: PASSWORD }, { headers: owner })
    expect([303, 429]).toContain(first.status)
    if (first.status === 429) {
      expect(Number(first.headers.get('Retry-After'))).toBeLessThanOrEqual(60)
      await expireBlock(await accountKey(email))
      const again = await post('/login', { email, password: PASSWORD }, { headers: owner })
      expect(again.status).toBe(303)
    }
  })
})

describe('IPv6 subscribers', () => {
  it('addresses rotating inside one /64 are throttled as one subscriber', async () => {
    const email = uniqueEmail('rotate')
    await signup({ email })
    const prefix = unique64()
    const statuses: number[] = []
    for (let i = 1; i <= 6; i++) {
      const address = i % 2 ? `${prefix}::${i.toString(16)}` : `${prefix}:0:0:0:${i}`.toUpperCase()
      const res = await post(
        '/login',
        { email, password: 'wrong guess' },
        { headers: { 'CF-Connecting-IP': address } },
      )
      statuses.push(res.status)
    }
    expect(statuses).toEqual([400, 400, 400, 400, 400, 429])
    const right = await post(
      '/login',
      { email, password: PASSWORD },
      { headers: { 'CF-Connecting-IP': `${prefix}:ffff:ffff:ffff:ffff` } },
    )
    expect(right.status).toBe(429)
  })

  it('different /64s are different subscribers', async () => {
    const email = uniqueEmail('rotate')
    await signup({ email })
    const statuses: number[] = []
    for (let i = 0; i < 6; i++) {
      const res = await post(
        '/login',
        { email, password: 'wrong guess' },
        { headers: { 'CF-Connecting-IP': `${unique64()}::1` } },
      )
      statuses.push(res.status)
    }
    expect(statuses).toEqual([400, 400, 400, 400, 400, 400])
    const right = await post(
      '/login',
      { email, password: PASSWORD },
      { headers: { 'CF-Connecting-IP': `${unique64()}::1` } },
    )
    expect(right.status).toBe(303)
  })

  it('an IPv4-mapped IPv6 address is the IPv4 subscriber', async () => {
    const email = uniqueEmail('mapped')
    const v4 = `198.18.${Math.floor(Math.random() * 256)}.${Math.floor(Math.random() * 256)}`
    const forms = [v4, `::ffff:${v4}`, `::FFFF:${v4}`, `0:0:0:0:0:ffff:${v4}`, v4, `::ffff:${v4}`]
    const statuses: number[] = []
    for (const address of forms) {
      const res = await post(
        '/login',
        { email, password: 'wrong guess' },
        { headers: { 'CF-Connecting-IP': address } },
      )
      statuses.push(res.status)
    }
    expect(statuses).toEqual([400, 400, 400, 400, 400, 429])
  })
})

describe('per-account ceiling', () => {
  it('after 10 failures from 12 addresses the account slows (Retry-After <= 60), never locks', async () => {
    const email = uniqueEmail('ceiling')
    await signup({ email })
    const key = await accountKey(email)
    const statuses: number[] = []
    for (let i = 0; i < 11; i++) {
      // The first delay is 1 s and DATETIME keeps whole seconds: start the 11th early in a second
      // so the block it sets is still in force for the next request (alignment, not a timing check).
      if (i === 10) await startOfSecond()
      const res = await post(
        '/login',
        { email, password: 'wrong guess' },
        { headers: { 'CF-Connecting-IP': uniqueAddress() } },
      )
      statuses.push(res.status)
    }
    // The 11th is still verified, and starts the delay.
    expect(statuses).toEqual(Array(11).fill(400))
    const slowed = await post(
      '/login',
      { email, password: PASSWORD },
      { headers: { 'CF-Connecting-IP': uniqueAddress() } },
    )
    expect(slowed.status).toBe(429)
    const wait = Number(slowed.headers.get('Retry-After'))
    expect(wait).toBeGreaterThanOrEqual(1)
    expect(wait).toBeLessThanOrEqual(60)

    // Each further failure doubles the wait, up to a minute: read it back after each one.
    const waits: number[] = []
    for (let i = 0; i < 8; i++) {
      await expireBlock(key)
      const guess = await post(
        '/login',
        { email, password: 'wrong guess' },
        { headers: { 'CF-Connecting-IP': uniqueAddress() } },
      )
      expect(guess.status).toBe(400)
      const refused = await post(
        '/login',
        { email, password: 'wrong guess' },
        { headers: { 'CF-Connecting-IP': uniqueAddress() } },
      )
      expect(refused.status).toBe(429)
      waits.push(Number(refused.headers.get('Retry-After')))
    }
    // 2, 4, 8, 16, 32, then the 60-second cap (DATETIME keeps whole seconds: +-1).
    const expected = [2, 4, 8, 16, 32, 60, 60, 60]
    waits.forEach((w, i) => {
      expect(w).toBeGreaterThanOrEqual(expected[i]! - 1)
      expect(w).toBeLessThanOrEqual(Math.min(60, expected[i]! + 1))
    })

    // Once the delay has passed (moved into the past, not slept), the owner's password works.
    await expireBlock(key)
    const owner = await post(
      '/login',
      { email, password: PASSWORD },
      { headers: { 'CF-Connecting-IP': uniqueAddress() } },
    )
    expect(owner.status).toBe(303)
    // A success forgets the account's count (the row stays, zeroed, for the purge): the next
    // failure is plain 400 again.
    const [row] = await db().select().from(loginThrottles).where(eq(loginThrottles.keyHash, key))
    expect(row).toMatchObject({ failures: 0, blockedUntil: null })
    const next = await post(
      '/login',
      { email, password: 'wrong guess' },
      { headers: { 'CF-Connecting-IP': uniqueAddress() } },
    )
    expect(next.status).toBe(400)
  })
})

describe('a throttle write that fails refuses the attempt', () => {
  it('a reservation held by a row lock answers 503 and is never verified; then recovers', async () => {
    const email = uniqueEmail('locked')
    await signup({ email })
    const id = await userId(email)
    const address = uniqueAddress()
    const headers = { 'CF-Connecting-IP': address }
    // One failure makes the pair's row, which the transaction below then holds.
    expect((await post('/login', { email, password: 'wrong guess' }, { headers })).status).toBe(400)
    const key = await pairKey(email, address)

    logs.clear()
    const body = new URLSearchParams({ email, password: PASSWORD })
    let locked: Response | undefined
    await db().transaction(async (tx) => {
      const held = await tx.execute(
        sql`select key_hash from login_throttles where key_hash = ${key} for update`,
      )
      expect(held.rows).toHaveLength(1)
      // The app gives up on the blocked upsert after 500 ms, long before MariaDB's
      // innodb_lock_wait_timeout (50 s), while this transaction still holds the row.
      locked = await callApp(
        '/login',
        { DATABASE_TIMEOUT_MS: '500' },
        { method: 'POST', body, headers },
      )
    })
    expect(locked!.status).toBe(503)
    expect(locked!.headers.get('Retry-After')).toBe('30')
    expect(cookieFrom(locked!, SESSION)).toBeUndefined()
    expect(await locked!.text()).toContain('cannot reach its database')
    expect(await sessionRows(id)).toBe(0)
    // Refused before bcrypt: no login outcome was audited, only the unavailable database.
    const lines = logs.lines()
    expect(lines.filter((l) => l.action === 'login')).toEqual([])
    expect(lines.some((l) => l.event === 'database_unavailable')).toBe(true)

    // The lock is gone: the same address signs in normally.
    const after = await post('/login', { email, password: PASSWORD }, { headers })
    expect(after.status).toBe(303)
    expect(await sessionRows(id)).toBe(1)
  })
})
