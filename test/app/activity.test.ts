import { SELF } from 'cloudflare:test'
import { asc, eq } from 'drizzle-orm'
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest'
import { users } from '../../src/core/db/schema'
import { purgeExpired } from '../../src/core/lifecycle'
import { features } from '../../src/features'
import type { ActivityRow } from '../../src/features/activity/queries'
import { securityEvents } from '../../src/features/activity/schema'
import { describeEvent } from '../../src/features/activity/words'
import { activityWrites, countDatabaseCalls } from './database-calls'
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
  signedIn,
  signup,
  uniqueAddress,
  uniqueEmail,
  userIdOf,
} from './helpers'
import { waitForMail } from './mail-outbox'
import { atMount, fromMount } from './mounted'

const logs = captureLogs()
afterAll(() => logs.restore())
afterEach(() => vi.restoreAllMocks())

const CHROME =
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36'

const events = (userId: number) =>
  db()
    .select()
    .from(securityEvents)
    .where(eq(securityEvents.userId, userId))
    .orderBy(asc(securityEvents.id))

/** The user's events once `n` have been written (they are written after the answer). */
async function eventsOnce(userId: number, n: number) {
  return vi.waitFor(
    async () => {
      const rows = await events(userId)
      if (rows.length < n) throw new Error(`${rows.length} of ${n} events so far`)
      return rows
    },
    { timeout: 10_000, interval: 50 },
  )
}

/** A request from one browser and place, as Cloudflare would present it. */
function from(address: string) {
  return async (path: string, fields?: Record<string, string>, cookie?: string) =>
    fromMount(
      await SELF.fetch(`${ORIGIN}${atMount(path)}`, {
        method: fields ? 'POST' : 'GET',
        body: fields ? new URLSearchParams(fields) : undefined,
        headers: {
          Origin: ORIGIN,
          'Content-Type': 'application/x-www-form-urlencoded',
          'User-Agent': CHROME,
          'CF-Connecting-IP': address,
          ...(cookie ? { Cookie: cookie } : {}),
        },
        redirect: 'manual',
        cf: { city: 'Lisbon', country: 'PT' },
      } as RequestInit),
    )
}

describe('recent activity', () => {
  it('records each kind of event in words, and no line holds an address, token or email', async () => {
    const email = uniqueEmail('activity')
    const address = uniqueAddress()
    const send = from(address)
    await signup({ email })
    const userId = await userIdOf(email)
    // A wrong password, then the right one.
    expect((await send('/login', { email, password: 'not the password at all' })).status).toBe(400)
    const login = await send('/login', { email, password: PASSWORD })
    expect(login.status).toBe(303)
    const cookie = cookieFrom(login, SESSION)!
    // A second browser, then "sign out everywhere else" from the first.
    const other = await post('/login', { email, password: PASSWORD })
    expect(other.status).toBe(303)
    expect((await send('/account/sessions/others', { password: PASSWORD }, cookie)).status).toBe(
      303,
    )
    // Password change (ends every other session and rotates this one).
    const changed = await send(
      '/account/password',
      { current_password: PASSWORD, new_password: 'another long enough passphrase' },
      cookie,
    )
    expect(changed.status).toBe(303)
    const rotated = cookieFrom(changed, SESSION) ?? cookie
    // A mailed code sign-in, to a confirmed address (an unconfirmed one is claimed first, which
    // ends every session: unconfirmed-claim.test.ts).
    await db().update(users).set({ emailVerifiedAt: new Date() }).where(eq(users.id, userId))
    const asked = await send('/signin/code', { email })
    expect(asked.status).toBe(303)
    const challenge = cookieFrom(asked, '__Host-ch-signin-code')!
    const mail = await waitForMail(email, 'sign-in code')
    const code = /is ([B-Z]{4}-[B-Z]{4})\./.exec(mail.text)![1]!
    expect((await send('/signin/code/enter', { code }, challenge)).status).toBe(303)
    // Signing out.
    expect((await send('/logout', {}, rotated)).status).toBe(303)

    const rows = await eventsOnce(userId, 9)
    const kinds = rows.map((r) => `${r.kind}:${r.outcome}:${r.method}`)
    expect(kinds).toEqual(
      expect.arrayContaining([
        'signup:success:',
        'login:failure:',
        'login:success:password',
        'session_end:success:',
        'password_change:success:',
        'signin_code:success:',
        'login:success:email-code',
        'logout:success:',
      ]),
    )
    // Every request of the first browser (signup and the second browser's sign-in came from elsewhere).
    const mine = rows.filter((r) => r.browser !== 'Unknown browser')
    expect(mine.length).toBeGreaterThanOrEqual(7)
    for (const row of mine) {
      expect(row.place).toBe('Lisbon, PT')
      expect(row.browser).toBe('Chrome on Linux')
    }
    const stored = JSON.stringify(rows)
    const [local] = email.split('@')
    for (const secret of [email, local!, address, code, code.replace('-', ''), challenge]) {
      expect(stored).not.toContain(secret)
    }

    // The page: newest first, in words, with the way out for "this was not me".
    const session = await send('/login', { email, password: 'another long enough passphrase' })
    const page = await (
      await send('/account/activity', undefined, cookieFrom(session, SESSION))
    ).text()
    expect(page).toContain('Recent activity')
    expect(page).toContain('Signed in with a code sent by email')
    expect(page).toContain('Failed sign-in: wrong password')
    expect(page).toContain('Password changed')
    expect(page).toContain('href="/account/password"')
    expect(page).toContain('href="/account/sessions"')
    expect(page.indexOf('Signed out')).toBeLessThan(page.indexOf('Account created'))
    for (const secret of [email, address, code]) expect(page).not.toContain(secret)
  })

  it('shows the 30 newest, and is linked from the account page', async () => {
    const { email, cookie } = await signedIn()
    const userId = await userIdOf(email)
    const base = Date.now() - 3600_000
    await db()
      .insert(securityEvents)
      .values(
        Array.from({ length: 35 }, (_, i) => ({
          userId,
          at: new Date(base + i * 1000),
          kind: 'password_change',
          outcome: 'success',
          reason: String(i),
        })),
      )
    const page = await (await get('/account/activity', { cookie })).text()
    expect(page.match(/<li class="event/g)).toHaveLength(30)
    expect(await (await get('/account', { cookie })).text()).toContain('href="/account/activity"')
  })

  it('words the passkey events too', () => {
    const line = (kind: string, outcome = 'success') =>
      describeEvent({ kind, outcome, method: '', reason: '' } as ActivityRow)
    expect(line('passkey_add')).toBe('Passkey added')
    expect(line('passkey_remove')).toBe('Passkey removed')
    expect(line('passkey_add', 'failure')).toBe('Passkey added: refused')
    expect(line('passkey_counter', 'failure')).toContain('unexpected use count')
  })

  it('the account page shows the 30 newest inline, newest first, with the way to the rest', async () => {
    const { email, cookie } = await signedIn()
    const userId = await userIdOf(email)
    // The signup and sign-in lines land after their answers: wait for them, then start clean.
    await eventsOnce(userId, 2)
    await db().delete(securityEvents).where(eq(securityEvents.userId, userId))
    const empty = await (await get('/account', { cookie })).text()
    expect(empty).toContain('Recent activity')
    expect(empty).toContain('Nothing recorded in the last 90 days.')
    const base = Date.now() - 3600_000
    const kinds = ['signup', ...Array<string>(28).fill('password_change')]
    await db()
      .insert(securityEvents)
      .values(
        [...kinds, 'email_verify', 'logout'].map((kind, i) => ({
          userId,
          at: new Date(base + i * 1000),
          kind,
          outcome: 'success',
        })),
      )
    const res = await get('/account', { cookie })
    expect(res.status).toBe(200)
    const page = await res.text()
    expect(page.match(/<li class="event/g)).toHaveLength(30)
    // Newest first; the oldest (the 31st) is only on the full list.
    expect(page.indexOf('Signed out')).toBeLessThan(page.indexOf('Email address confirmed'))
    expect(page.indexOf('Email address confirmed')).toBeLessThan(page.indexOf('Password changed'))
    expect(page).not.toContain('Account created')
    expect(page).toContain('href="/account/activity"')
    expect(page).toContain('href="/account/password"')
    expect(page).toContain('href="/account/sessions"')
    // The username and email still come from the same read, once, whatever the events.
    expect(page.match(/<dt>Email<\/dt>/g)).toHaveLength(1)
    // Another user's events never show.
    const other = await signedIn('Eve')
    const theirs = await (await get('/account', { cookie: other.cookie })).text()
    expect(theirs).not.toContain('Email address confirmed')
    expect(theirs).not.toContain(email)
  })

  it('costs one statement (the session read brings the list) and no signed-in page more', async () => {
    const { cookie } = await signedIn()
    let count = countDatabaseCalls()
    expect((await callApp('/account/activity', {}, { cookie })).status).toBe(200)
    expect(count()).toBe(1)
    vi.restoreAllMocks()
    // The account page shows the newest events inline, still in its one statement.
    count = countDatabaseCalls()
    const account = await callApp('/account', {}, { cookie })
    expect(account.status).toBe(200)
    expect(await account.text()).toContain('<li class="event')
    expect(count()).toBe(1)
  })

  it("a sign-in's line is one insert outside the request's statements, none on a plain page", async () => {
    const email = uniqueEmail()
    await signup({ email })
    // The signup's own line is written after its answer: let it land first.
    await eventsOnce(await userIdOf(email), 1)
    const before = activityWrites.count
    const count = countDatabaseCalls()
    const body = new URLSearchParams({ email, password: PASSWORD })
    const res = await callApp('/login', {}, { method: 'POST', body })
    expect(res.status).toBe(303)
    expect(activityWrites.count - before).toBe(1)
    // The request's own statements are what they were: the line never joins its round trips.
    expect(count()).toBeGreaterThan(0)
    vi.restoreAllMocks()
    const cookie = cookieFrom(res, SESSION)!
    const still = activityWrites.count
    countDatabaseCalls()
    expect((await callApp('/welcome', {}, { cookie })).status).toBe(200)
    expect(activityWrites.count).toBe(still)
  })

  it('is only for the signed in', async () => {
    const res = await get('/account/activity')
    expect(res.status).toBe(303)
    expect(res.headers.get('Location')).toBe('/')
  })

  it('the purge removes events past 90 days and keeps the rest', async () => {
    const { email } = await signedIn()
    const userId = await userIdOf(email)
    const day = 86_400_000
    const now = new Date()
    await db()
      .insert(securityEvents)
      .values([
        { userId, at: new Date(now.getTime() - 91 * day), kind: 'logout', outcome: 'success' },
        { userId, at: new Date(now.getTime() - 89 * day), kind: 'signup', outcome: 'success' },
      ])
    const counts = await purgeExpired(db(), features, now)
    expect(counts.security_events).toBeGreaterThanOrEqual(1)
    const left = (await events(userId)).filter((r) => r.at.getTime() < now.getTime() - 80 * day)
    expect(left.map((r) => r.kind)).toEqual(['signup'])
  })

  it('account deletion takes the events with it', async () => {
    const { email, cookie } = await signedIn()
    const userId = await userIdOf(email)
    await eventsOnce(userId, 2)
    const res = await post('/account/delete', { password: PASSWORD }, { cookie })
    expect(res.status).toBe(303)
    // The deletion's own audit line is not kept: nothing of the account may outlive it.
    await new Promise((r) => setTimeout(r, 300))
    expect(await events(userId)).toEqual([])
  })
})
