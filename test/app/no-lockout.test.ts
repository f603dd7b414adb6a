import { SELF } from 'cloudflare:test'
import { and, count, eq, sql } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { users } from '../../src/core/db/schema'
import { oneTimeTokens } from '../../src/core/security/tables'
import { app } from '../../src/index'
import {
  accountKey,
  cookieFrom,
  db,
  expireBlock,
  get,
  PASSWORD,
  post,
  SESSION,
  signedIn,
  signup,
  uniqueAddress,
  uniqueEmail,
  userIdOf,
  ORIGIN,
  type Sent,
} from './helpers'
import { linkPath, sentTo, settledSubjects, waitForMail } from './mail-outbox'

// Issue 16: nobody elsewhere can lock the owner out, silence the owner's mail, or keep what a
// stolen password opened once the owner has responded.

const DEVICE = '__Host-device'
const NEW_PASSWORD = 'another rather long passphrase'
const from = (address = uniqueAddress()): Sent => ({ headers: { 'CF-Connecting-IP': address } })

async function signInFor(email: string, password = PASSWORD, opts = from()) {
  return post('/login', { email, password }, opts)
}

/** Signs in once from a browser of its own and returns its device cookie. */
async function knownDevice(email: string) {
  const res = await signInFor(email)
  expect(res.status).toBe(303)
  const device = cookieFrom(res, DEVICE)
  expect(device).toMatch(/^__Host-device=/)
  return device!
}

async function resetLink(email: string, nth = 1) {
  expect((await post('/forgot', { email }, from())).status).toBe(303)
  return linkPath(await waitForMail(email, 'Reset your edge-auth password', nth))
}

async function resetPassword(email: string, password: string, nth = 1) {
  const landed = await get(await resetLink(email, nth))
  const link = cookieFrom(landed, '__Host-reset')!
  const done = await post('/reset', { password }, { cookie: link })
  expect(done.status).toBe(303)
}

describe('throttling that cannot be turned against the owner', () => {
  it('an attacker refused 30 times from one address adds nothing to the account delay', async () => {
    const email = uniqueEmail('victim')
    await signup({ email })
    const attacker = from()
    const statuses: number[] = []
    for (let i = 0; i < 30; i++) statuses.push((await signInFor(email, 'guess', attacker)).status)
    // Five wrong guesses, then refused before bcrypt: those 25 never reached the account's count.
    expect(statuses.filter((s) => s === 400)).toHaveLength(5)
    expect(statuses.filter((s) => s === 429)).toHaveLength(25)
    const [row] = await db()
      .select({ failures: sql<number>`failures` })
      .from(sql`login_throttles`)
      .where(sql`key_hash = ${await accountKey(email)}`)
    expect(Number(row?.failures)).toBe(5)
    const owner = await signInFor(email)
    expect(owner.status).toBe(303)
  })

  it('12 addresses with 8 wrong passwords each: the owner on a known device signs in', async () => {
    const email = uniqueEmail('victim')
    await signup({ email })
    const device = await knownDevice(email)
    for (let a = 0; a < 12; a++) {
      const attacker = from()
      for (let i = 0; i < 8; i++) await signInFor(email, 'guess', attacker)
    }
    const known = await signInFor(email, PASSWORD, { ...from(), cookie: device })
    expect(known.status).toBe(303)
    // From a browser that never signed in: slowed at most a minute, never locked.
    const unknown = await signInFor(email)
    expect([303, 429]).toContain(unknown.status)
    if (unknown.status === 429) {
      expect(Number(unknown.headers.get('Retry-After'))).toBeLessThanOrEqual(60)
    }
  })

  it('a forged or another account’s device cookie is no known device', async () => {
    const email = uniqueEmail('victim')
    await signup({ email })
    const other = uniqueEmail('other')
    await signup({ email: other })
    const otherDevice = await knownDevice(other)
    const forged = otherDevice.replace(/.$/, (c) => (c === 'a' ? 'b' : 'a'))
    for (const cookie of [otherDevice, forged]) {
      const attacker = { ...from(), cookie }
      const statuses: number[] = []
      for (let i = 0; i < 6; i++) statuses.push((await signInFor(email, 'x', attacker)).status)
      // The pair limit (5 per address) applies: these are unknown browsers to this account.
      expect(statuses.at(-1)).toBe(429)
    }
  })

  it('a successful reset clears the account delay', async () => {
    const email = uniqueEmail('victim')
    await signup({ email })
    for (let a = 0; a < 12; a++) {
      const attacker = from()
      for (let i = 0; i < 5; i++) await signInFor(email, 'guess', attacker)
    }
    const [before] = await db()
      .select({ n: count() })
      .from(sql`login_throttles`)
      .where(sql`key_hash = ${await accountKey(email)}`)
    expect(Number(before?.n)).toBe(1)
    await resetPassword(email, NEW_PASSWORD)
    const [after] = await db()
      .select({ n: count() })
      .from(sql`login_throttles`)
      .where(sql`key_hash = ${await accountKey(email)}`)
    expect(Number(after?.n)).toBe(0)
    expect((await signInFor(email, NEW_PASSWORD)).status).toBe(303)
  })

  it('past 100 failures in a row, an unknown browser also needs the mailed code; a known one does not', async () => {
    const email = uniqueEmail('victim')
    await signup({ email })
    const device = await knownDevice(email)
    const id = await userIdOf(email)
    // 99 failures are set directly (the account delay would make 99 real ones take hours); the
    // 100th is a real wrong password, counted like any other.
    await db().update(users).set({ failedSignIns: 99 }).where(eq(users.id, id))
    expect((await signInFor(email, 'wrong')).status).toBe(400)
    // Counted after the answer (the same statements before it as for an unknown address).
    const failures = async () =>
      (await db().select({ n: users.failedSignIns }).from(users).where(eq(users.id, id)))[0]?.n
    await expect.poll(failures, { timeout: 3000 }).toBe(100)
    await expireBlock(await accountKey(email))

    // The right password from an unknown browser: no session, a code in the mailbox instead.
    const unknown = await signInFor(email)
    expect(unknown.status).toBe(303)
    expect(unknown.headers.get('Location')).toBe('/signin/code/enter')
    expect(cookieFrom(unknown, SESSION)).toBeUndefined()
    const challenge = cookieFrom(unknown, '__Host-ch-signin-code')!
    const page = await get('/signin/code/enter', { cookie: cookieFrom(unknown, '__Host-flash') })
    expect(await page.text()).toContain('many failed attempts')
    const mail = await waitForMail(email, 'Your edge-auth sign-in code')
    const code = /is ([B-Z]{4}-[B-Z]{4})\./.exec(mail.text)![1]!
    // The browser also holds the sign of its right password, so the code (on a still unconfirmed
    // address) confirms it rather than claiming the account (unconfirmed-claim.test.ts).
    const proved = cookieFrom(unknown, '__Host-ch-signin-code-pw')!
    expect(proved).toBeDefined()
    const viaCode = await post(
      '/signin/code/enter',
      { code },
      { cookie: `${challenge}; ${proved}` },
    )
    expect(cookieFrom(viaCode, SESSION)).toBeDefined()
    await db().update(users).set({ failedSignIns: 100 }).where(eq(users.id, id))
    const known = await signInFor(email, PASSWORD, { ...from(), cookie: device })
    expect(known.status).toBe(303)
    const [cleared] = await db()
      .select({ n: users.failedSignIns })
      .from(users)
      .where(eq(users.id, id))
    expect(cleared?.n).toBe(0)
  })
})

describe('mail limits that cannot silence the owner', () => {
  it('an attacker who spent its client limit cannot spend the victim’s allowance', async () => {
    const victim = uniqueEmail('victim')
    await signup({ email: victim })
    const attacker = from()
    for (let i = 0; i < 10; i++) await post('/forgot', { email: uniqueEmail('nobody') }, attacker)
    for (let i = 0; i < 4; i++) await post('/forgot', { email: victim }, attacker)
    expect(await settledSubjects(victim)).toEqual([])
    await post('/forgot', { email: victim }, from())
    await waitForMail(victim, 'Reset your edge-auth password')
  })

  it('one address asking for the victim many times still leaves the owner a message', async () => {
    const victim = uniqueEmail('victim')
    await signup({ email: victim })
    const attacker = from()
    for (let i = 0; i < 8; i++) await post('/forgot', { email: victim }, attacker)
    await waitForMail(victim, 'Reset your edge-auth password', 3)
    await post('/forgot', { email: victim }, from())
    await waitForMail(victim, 'Reset your edge-auth password', 4)
  })

  it('four addresses spending the recipient’s hourly allowance leave the owner a message', async () => {
    const victim = uniqueEmail('victim')
    await signup({ email: victim })
    const device = await knownDevice(victim)
    // Each address gets its 3 messages to the victim through; 4 of them (four IPv6 /64s, which one
    // rented server has) use up the 12 an hour the victim may receive from everyone together.
    for (let a = 0; a < 4; a++) {
      const attacker = from()
      for (let i = 0; i < 3; i++) await post('/forgot', { email: victim }, attacker)
    }
    await waitForMail(victim, 'Reset your edge-auth password', 12)
    // The owner's own request, from the browser that signed in before: still a message.
    await post('/forgot', { email: victim }, { ...from(), cookie: device })
    await waitForMail(victim, 'Reset your edge-auth password', 13)
  })

  it('two reset requests at once leave one live link', async () => {
    const email = uniqueEmail('victim')
    await signup({ email })
    await Promise.all([post('/forgot', { email }, from()), post('/forgot', { email }, from())])
    await waitForMail(email, 'Reset your edge-auth password', 2)
    const [row] = await db()
      .select({ n: count() })
      .from(oneTimeTokens)
      .where(
        and(eq(oneTimeTokens.userId, await userIdOf(email)), eq(oneTimeTokens.purpose, 'reset')),
      )
    expect(Number(row?.n)).toBe(1)
  })
})

describe('what a stolen password opened ends when the owner responds', () => {
  it('an email change started, then a password change: the confirmation is refused', async () => {
    const { email, cookie } = await signedIn()
    const thief = uniqueEmail('thief')
    const started = await post('/account/email', { email: thief, password: PASSWORD }, { cookie })
    expect(started.status).toBe(303)
    const mail = await waitForMail(thief, 'Confirm your new email address')
    const changed = await post(
      '/account/password',
      { current_password: PASSWORD, new_password: NEW_PASSWORD },
      { cookie },
    )
    expect(changed.status).toBe(303)
    const landed = await get(linkPath(mail))
    const link = cookieFrom(landed, '__Host-email_change') ?? ''
    const confirm = await post('/account/email/confirm', {}, { cookie: link })
    expect(confirm.status).toBe(400)
    const [row] = await db()
      .select({ email: users.email })
      .from(users)
      .where(eq(users.email, email))
    expect(row?.email).toBe(email)
  })

  it('a password change while the email change’s link is still being made: no link works', async () => {
    const { email, cookie } = await signedIn()
    const thief = uniqueEmail('thief')
    // The link is made after the answer; the password change, sent at once, lands while that is
    // under way.
    const [started, changed] = await Promise.all([
      post('/account/email', { email: thief, password: PASSWORD }, { cookie }),
      post(
        '/account/password',
        { current_password: PASSWORD, new_password: NEW_PASSWORD },
        { cookie },
      ),
    ])
    // Signed out already (the change landed first) is fine too: then nothing was started.
    expect(['/account/email/sent', '/']).toContain(started.headers.get('Location'))
    expect(changed.headers.get('Location')).toBe('/account')
    await waitForMail(email, 'email address is about to change')
    await settledSubjects(thief)
    for (const mail of (await sentTo(thief)).filter((m) => m.subject.includes('Confirm'))) {
      const landed = await get(linkPath(mail))
      const link = cookieFrom(landed, '__Host-email_change') ?? ''
      expect((await post('/account/email/confirm', {}, { cookie: link })).status).toBe(400)
    }
    const [row] = await db().select({ n: count() }).from(users).where(eq(users.email, email))
    expect(Number(row?.n)).toBe(1)
  })

  it('a reset link outlives neither a password change nor "sign out everywhere else"', async () => {
    const { email, cookie } = await signedIn()
    const link = await resetLink(email)
    const others = await post('/account/sessions/others', { password: PASSWORD }, { cookie })
    expect(others.status).toBe(303)
    // The session that asked carries on under the new generation.
    expect((await get('/welcome', { cookie })).status).toBe(200)
    const landed = await get(link)
    const page = await get('/reset', { cookie: cookieFrom(landed, '__Host-reset') })
    expect(page.status).toBe(400)
  })

  it('four login loops with the old password during a reset: no cookie they got opens /welcome', async () => {
    const email = uniqueEmail('racer')
    await signup({ email })
    const link = await resetLink(email)
    const landed = await get(link)
    const resetCookie = cookieFrom(landed, '__Host-reset')!
    const cookies: string[] = []
    let done = false
    const loop = async () => {
      const opts = from()
      while (!done) {
        const res = await signInFor(email, PASSWORD, opts)
        const session = cookieFrom(res, SESSION)
        if (session) cookies.push(session)
        if (res.status === 400) return // the old password no longer works
      }
    }
    const loops = Array.from({ length: 4 }, loop)
    await new Promise((r) => setTimeout(r, 150))
    const reset = await post('/reset', { password: NEW_PASSWORD }, { cookie: resetCookie })
    expect(reset.status).toBe(303)
    await new Promise((r) => setTimeout(r, 300))
    done = true
    await Promise.all(loops)
    expect(cookies.length).toBeGreaterThan(0)
    for (const cookie of cookies) expect((await get('/welcome', { cookie })).status).toBe(303)
    // The new password's hash was never overwritten by a rehash of the old one.
    expect((await signInFor(email, NEW_PASSWORD)).status).toBe(303)
  })
})

describe('notices (ASVS 6.3.7)', () => {
  it('mails the owner when the password changes from the account page', async () => {
    const { email, cookie } = await signedIn()
    await post(
      '/account/password',
      { current_password: PASSWORD, new_password: NEW_PASSWORD },
      { cookie },
    )
    const mail = await waitForMail(email, 'password was changed')
    expect(mail.text).toContain('/forgot')
  })

  it('mails the owner when the account is deleted', async () => {
    const { email, cookie } = await signedIn()
    expect((await post('/account/delete', { password: PASSWORD }, { cookie })).status).toBe(303)
    const mail = await waitForMail(email, 'account was deleted')
    expect(mail.text).toContain('If you did not')
  })
})

describe('malformed bodies', () => {
  const postPaths = [
    ...new Set(
      app.routes.filter((r) => r.method === 'POST').map((r) => r.path.replace(/:[^/]+/g, 'x')),
    ),
  ]

  it('knows the POST routes', () => {
    expect(postPaths).toEqual(expect.arrayContaining(['/login', '/signup', '/forgot', '/reset']))
  })

  it('answers a malformed multipart body on every POST route: 400 where a form is read, never a 5xx', async () => {
    const { cookie } = await signedIn()
    const refused = new Set<string>()
    // Logout last: it would end the session the signed-in routes need.
    const ordered = [...postPaths.filter((p) => p !== '/logout'), '/logout']
    for (const path of ordered) {
      for (const session of [undefined, cookie]) {
        const headers = new Headers({
          Origin: ORIGIN,
          'Content-Type': 'multipart/form-data; boundary=edge',
          'CF-Connecting-IP': uniqueAddress(),
        })
        if (session) headers.set('Cookie', session)
        const body = '--edge\r\nContent-Disposition: form-data; name="email"\r\n\r\nx' // no end
        const init = { method: 'POST', body, headers, redirect: 'manual' } as const
        const res = await SELF.fetch(`${ORIGIN}${path}`, init)
        expect(res.status, path).toBeLessThan(500)
        if (res.status === 400) refused.add(path)
      }
    }
    // Routes that read no form (logout, a link's confirmation) act on their cookie alone.
    const forms = ['/login', '/signup', '/forgot', '/reset', '/account/password', '/account/delete']
    expect({ refused: [...refused] }).toEqual({ refused: expect.arrayContaining(forms) })
  })
})
