import { and, eq } from 'drizzle-orm'
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest'
import { sessions, users } from '../../src/core/db/schema'
import { securityEvents } from '../../src/features/activity/schema'
import { passkeys } from '../../src/features/passkeys/schema'
import { recoveryCodes } from '../../src/features/two-factor/schema'
import { countDatabaseCalls } from './database-calls'
import {
  callApp,
  captureLogs,
  cookieFrom,
  db,
  get,
  PASSWORD,
  post,
  SESSION,
  signedIn,
  signup,
  uniqueEmail,
  userIdOf,
} from './helpers'
import { settledSubjects, waitForMail } from './mail-outbox'
import { base32Decode, stepOf, totp } from './totp-reference'

const logs = captureLogs()
afterAll(() => logs.restore())
afterEach(() => vi.restoreAllMocks())

const LOCKED = 'This account is locked'

async function setRole(userId: number, role: 'admin' | 'user') {
  await db().update(users).set({ role }).where(eq(users.id, userId))
}

/** A signed-in admin (made as the CLI makes one: the role column). */
async function signedInAdmin() {
  const who = await signedIn('Support')
  const id = await userIdOf(who.email)
  await setRole(id, 'admin')
  return { ...who, id }
}

/** A signed-in ordinary user with their id. */
async function member(username = 'Ada') {
  const who = await signedIn(username)
  return { ...who, id: await userIdOf(who.email) }
}

const act = (admin: { cookie: string }, id: number, action: string, fields = {}) =>
  post(`/admin/users/${id}/${action}`, { password: PASSWORD, ...fields }, { cookie: admin.cookie })

async function kindsOf(userId: number, kind: string) {
  return vi.waitFor(
    async () => {
      const rows = await db()
        .select()
        .from(securityEvents)
        .where(and(eq(securityEvents.userId, userId), eq(securityEvents.kind, kind)))
      if (rows.length === 0) throw new Error(`no ${kind} yet`)
      return rows
    },
    { timeout: 10_000, interval: 50 },
  )
}

function between(html: string, re: RegExp): string {
  const match = re.exec(html)
  if (!match) throw new Error(`not in page: ${re}`)
  return match[1]!
}

/** Turns two-factor sign-in on through the pages (as two-factor.test.ts does); the recovery codes. */
async function enrol(cookie: string) {
  const setup = await (
    await post('/account/two-factor/setup', { password: PASSWORD }, { cookie })
  ).text()
  const key = base32Decode(between(setup, /id="totp-key">([A-Z2-7 ]+)</))
  const enrolment = between(setup, /name="enrolment" value="([^"]+)"/)
  // Clear of a 30-second boundary, so the previous step is still accepted when the code arrives.
  const into = (Date.now() / 1000) % 30
  if (into > 26) await new Promise((r) => setTimeout(r, (30 - into + 0.3) * 1000))
  const code = await totp(key, stepOf(Date.now() / 1000) - 1)
  const res = await post('/account/two-factor/enable', { enrolment, code }, { cookie })
  expect(res.status).toBe(200)
  return [...(await res.text()).matchAll(/<li><code>([A-Z0-9-]+)<\/code><\/li>/g)].map((m) => m[1]!)
}

const ACTIONS = ['lock', 'unlock', 'sign-out', 'resend-verification', 'remove-factors']

describe('the console is invisible to everyone but admins', () => {
  it('answers the 404 page on every console route, signed out or signed in', async () => {
    const user = await member()
    const missing = await (await get('/no-such-page')).text()
    for (const cookie of [undefined, user.cookie]) {
      const paths = ['/admin', '/admin?q=a', `/admin/users/${user.id}`, '/admin/nothing']
      for (const path of paths) {
        const res = await get(path, { cookie })
        expect(res.status, path).toBe(404)
        expect(await res.text()).toBe(missing)
      }
      for (const action of ACTIONS) {
        const res = await post(
          `/admin/users/${user.id}/${action}`,
          { password: PASSWORD },
          { cookie },
        )
        expect(res.status, action).toBe(404)
      }
    }
    expect((await db().select().from(users).where(eq(users.id, user.id)))[0]!.lockedAt).toBeNull()
  })

  it('a role change counts from the next request, not the next sign-in', async () => {
    const user = await member()
    expect((await get('/admin', { cookie: user.cookie })).status).toBe(404)
    await setRole(user.id, 'admin')
    expect((await get('/admin', { cookie: user.cookie })).status).toBe(200)
    await setRole(user.id, 'user')
    expect((await get('/admin', { cookie: user.cookie })).status).toBe(404)
  })
})

describe('finding users', () => {
  it('by email, username or id, in pages', async () => {
    const admin = await signedInAdmin()
    const tag = `pg${Date.now().toString(36)}`
    const emails: string[] = []
    for (let i = 0; i < 21; i += 1) {
      const email = uniqueEmail(`${tag}-${i}`)
      emails.push(email)
      await signup({ email, username: `${tag}${i}` })
    }
    const first = await (await get(`/admin?q=${tag}`, { cookie: admin.cookie })).text()
    expect(first.match(/href="\/admin\/users\/\d+"/g)).toHaveLength(20)
    expect(first).toContain(`href="/admin?q=${tag}&amp;page=2"`)
    const second = await (await get(`/admin?q=${tag}&page=2`, { cookie: admin.cookie })).text()
    expect(second.match(/href="\/admin\/users\/\d+"/g)).toHaveLength(1)
    expect(second).toContain('Previous page')
    // By the email as typed (upper case), by username, by id.
    const byEmail = await (
      await get(`/admin?q=${encodeURIComponent(emails[3]!.toUpperCase())}`, {
        cookie: admin.cookie,
      })
    ).text()
    expect(byEmail).toContain(emails[3])
    expect(byEmail.match(/href="\/admin\/users\/\d+"/g)).toHaveLength(1)
    const id = await userIdOf(emails[5]!)
    const byId = await (await get(`/admin?q=${id}`, { cookie: admin.cookie })).text()
    expect(byId).toContain(emails[5])
    // LIKE's wildcards are taken as text: `_` would match the digit of `${tag}5`.
    const wild = await (await get(`/admin?q=${tag}_`, { cookie: admin.cookie })).text()
    expect(wild).toContain('No users match.')
    // Odd input is never a 5xx.
    for (const q of ['x'.repeat(300), '%00', "'"]) {
      expect((await get(`/admin?q=${q}&page=-1`, { cookie: admin.cookie })).status).toBeLessThan(
        500,
      )
    }
  })

  it('the user page shows profile, confirmation, factors, sessions and activity; never a secret', async () => {
    const admin = await signedInAdmin()
    const user = await member('Grace')
    await db()
      .update(users)
      .set({ totpKey: '1.secretsecretsecret.AAAA' })
      .where(eq(users.id, user.id))
    await db()
      .insert(recoveryCodes)
      .values(
        [1, 2, 3].map((n) => ({
          codeHash: `${user.id}-${n}`.padEnd(64, 'a'),
          userId: user.id,
          createdAt: new Date(),
        })),
      )
    await kindsOf(user.id, 'login')
    const res = await get(`/admin/users/${user.id}`, { cookie: admin.cookie })
    expect(res.status).toBe(200)
    expect(res.headers.get('Cache-Control')).toBe('no-store')
    const page = await res.text()
    expect(page).toContain(user.email)
    expect(page).toContain('not confirmed')
    expect(page).toMatch(/Authenticator app<\/dt><dd>set up/)
    expect(page).toMatch(/Recovery codes left<\/dt><dd>3/)
    expect(page).toMatch(/Passkeys<\/dt><dd>0/)
    expect(page).toContain('Live sessions (1)')
    expect(page).toContain('Signed in with password')
    expect(page).not.toContain('secretsecretsecret')
    expect((await get('/admin/users/999999999999', { cookie: admin.cookie })).status).toBe(404)
  })

  it('costs at most 3 statements a page', async () => {
    const admin = await signedInAdmin()
    const user = await member()
    let count = countDatabaseCalls()
    expect((await callApp('/admin?q=a', {}, { cookie: admin.cookie })).status).toBe(200)
    expect(count()).toBe(2)
    vi.restoreAllMocks()
    count = countDatabaseCalls()
    expect((await callApp(`/admin/users/${user.id}`, {}, { cookie: admin.cookie })).status).toBe(
      200,
    )
    expect(count()).toBe(3)
  })
})

describe('actions', () => {
  it('lock: asks the password again; then every method is refused after a right first step', async () => {
    const admin = await signedInAdmin()
    const user = await member()
    // Wrong password: nothing happens.
    const wrong = await act(admin, user.id, 'lock', { reason: 'abuse', password: 'not it at all' })
    expect(wrong.status).toBe(400)
    expect(await wrong.text()).toContain('That is not your current password.')
    // No reason: asked for one.
    expect((await act(admin, user.id, 'lock', { reason: '' })).status).toBe(422)
    expect((await act(admin, user.id, 'lock', { reason: 'x', until: '2001-01-01' })).status).toBe(
      422,
    )
    expect((await get('/account', { cookie: user.cookie })).status).toBe(200)

    // Through callApp, so this isolate's log capture sees the audit line.
    const seen = captureLogs()
    const res = await callApp(
      `/admin/users/${user.id}/lock`,
      {},
      {
        cookie: admin.cookie,
        method: 'POST',
        body: new URLSearchParams({ password: PASSWORD, reason: 'spam reports' }),
      },
    )
    expect(res.status).toBe(303)
    expect(res.headers.get('Location')).toBe(`/admin/users/${user.id}`)
    // Every session ended.
    expect((await get('/account', { cookie: user.cookie })).status).toBe(303)
    expect(await db().select().from(sessions).where(eq(sessions.userId, user.id))).toEqual([])
    // A wrong password learns nothing; the right one is told.
    const guess = await post('/login', { email: user.email, password: 'not the password, no' })
    expect(guess.status).toBe(400)
    expect(await guess.text()).not.toContain(LOCKED)
    const right = await post('/login', { email: user.email, password: PASSWORD })
    expect(right.status).toBe(403)
    expect(await right.text()).toContain(LOCKED)
    expect(cookieFrom(right, SESSION)).toBeUndefined()
    // The mailed code: the code is right, the account is locked.
    const asked = await post('/signin/code', { email: user.email })
    const challenge = cookieFrom(asked, '__Host-ch-signin-code')!
    const mail = await waitForMail(user.email, 'sign-in code')
    const code = /is ([B-Z]{4}-[B-Z]{4})\./.exec(mail.text)![1]!
    const entered = await post('/signin/code/enter', { code }, { cookie: challenge })
    expect(entered.status).toBe(403)
    expect(await entered.text()).toContain(LOCKED)
    expect(cookieFrom(entered, SESSION)).toBeUndefined()

    // Audited with the admin's id, in the user's activity, mailed to the user.
    const line = seen
      .lines()
      .find((l) => l['action'] === 'admin_lock' && l['outcome'] === 'success')
    expect(line).toMatchObject({ userId: user.id, adminId: admin.id })
    seen.restore()
    const [locked] = await kindsOf(user.id, 'admin_lock')
    // The user's line names support, not where the admin is or what they use.
    expect(locked).toMatchObject({ place: '', browser: '' })
    const notice = await waitForMail(user.email, 'is locked')
    expect(notice.text).toContain('cannot sign in')
    const page = await (await get(`/admin/users/${user.id}`, { cookie: admin.cookie })).text()
    expect(page).toContain('spam reports')
    expect(page).toContain('Unlock the account')

    // Unlock: signs in again, told by mail.
    expect((await act(admin, user.id, 'unlock')).status).toBe(303)
    expect((await post('/login', { email: user.email, password: PASSWORD })).status).toBe(303)
    await kindsOf(user.id, 'admin_unlock')
    await waitForMail(user.email, 'is unlocked')
  })

  it('the second step is refused too, and a 2FA account is told after its password', async () => {
    const user = await member()
    const codes = await enrol(user.cookie)
    const first = await post('/login', { email: user.email, password: PASSWORD })
    expect(first.headers.get('Location')).toBe('/login/two-factor')
    const pending = cookieFrom(first, '__Host-ch-2fa-pending')!
    // Locked while the pending sign-in waits (the console's lock would also end it).
    await db().update(users).set({ lockedAt: new Date() }).where(eq(users.id, user.id))
    const second = await post(
      '/login/two-factor/recovery',
      { code: codes[0]! },
      { cookie: pending },
    )
    expect(second.status).toBe(403)
    expect(await second.text()).toContain(LOCKED)
    expect(cookieFrom(second, SESSION)).toBeUndefined()
    // A right password on the locked 2FA account: told at once, no pending sign-in.
    const again = await post('/login', { email: user.email, password: PASSWORD })
    expect(again.status).toBe(403)
    expect(cookieFrom(again, '__Host-ch-2fa-pending')).toBeUndefined()
  })

  it('a lock with an end date ends by itself', async () => {
    const user = await member()
    const past = new Date(Date.now() - 60_000)
    await db()
      .update(users)
      .set({ lockedAt: new Date(Date.now() - 3600_000), lockedUntil: past, lockReason: 'x' })
      .where(eq(users.id, user.id))
    expect((await post('/login', { email: user.email, password: PASSWORD })).status).toBe(303)
    const future = new Date(Date.now() + 3600_000)
    await db().update(users).set({ lockedUntil: future }).where(eq(users.id, user.id))
    expect((await post('/login', { email: user.email, password: PASSWORD })).status).toBe(403)
  })

  it('sign out everywhere, resend the confirmation link, remove the second factors', async () => {
    const admin = await signedInAdmin()
    const user = await member()
    expect((await act(admin, user.id, 'sign-out')).status).toBe(303)
    expect((await get('/account', { cookie: user.cookie })).status).toBe(303)
    await kindsOf(user.id, 'admin_sign_out')
    await waitForMail(user.email, 'signed out everywhere')

    expect((await act(admin, user.id, 'resend-verification')).status).toBe(303)
    const link = await waitForMail(user.email, 'Confirm your email address')
    expect(link.link).toMatch(/\/verify\//)
    await kindsOf(user.id, 'admin_resend_verification')

    await db().update(users).set({ totpKey: '1.k.k' }).where(eq(users.id, user.id))
    await db()
      .insert(recoveryCodes)
      .values({ codeHash: `rm-${user.id}`.padEnd(64, 'b'), userId: user.id, createdAt: new Date() })
    expect((await act(admin, user.id, 'remove-factors')).status).toBe(303)
    const [row] = await db().select().from(users).where(eq(users.id, user.id))
    expect(row!.totpKey).toBeNull()
    expect(
      await db().select().from(recoveryCodes).where(eq(recoveryCodes.userId, user.id)),
    ).toEqual([])
    await kindsOf(user.id, 'admin_remove_factors')
    await waitForMail(user.email, 'Two-factor sign-in was turned off')
  })

  it('refuses, with 409, what has nothing to do: no change, no mail, nothing in the activity', async () => {
    const admin = await signedInAdmin()
    const user = await member()
    await kindsOf(user.id, 'login')
    await db().update(users).set({ emailVerifiedAt: new Date() }).where(eq(users.id, user.id))
    // A passkey is shown with the factors, but "remove the second factors" leaves it (it is a way
    // in of its own): an account with only a passkey has nothing for that action to remove.
    await db()
      .insert(passkeys)
      .values({
        userId: user.id,
        credentialHash: `pk-${user.id}`.padEnd(64, 'c'),
        credentialId: 'AAAA',
        name: 'Phone',
        publicKey: '{}',
        algorithm: -7,
        createdAt: new Date(),
      })
    const shown = await (await get(`/admin/users/${user.id}`, { cookie: admin.cookie })).text()
    expect(shown).toMatch(/Passkeys<\/dt><dd>1/)
    expect(shown).not.toContain('Remove the second factors')
    expect(shown).not.toContain('Send the confirmation link again')
    const seen = captureLogs()
    const refuse = (action: string, fields: Record<string, string> = {}) =>
      callApp(
        `/admin/users/${user.id}/${action}`,
        {},
        {
          cookie: admin.cookie,
          method: 'POST',
          body: new URLSearchParams({ password: PASSWORD, ...fields }),
        },
      )
    const refusals = [
      ['resend-verification', 'The address is already confirmed: no link sent.'],
      ['remove-factors', 'The account has no second factor to remove.'],
      ['unlock', 'The account is not locked.'],
    ] as const
    for (const [action, message] of refusals) {
      const res = await refuse(action)
      expect(res.status, action).toBe(409)
      const page = await res.text()
      expect(page, action).toContain(message)
      // The whole user page again, so the admin sees why and what they can do.
      expect(page).toContain('Live sessions (1)')
    }
    // Also with htmx: the same answer swaps into the page.
    const htmx = await post(
      `/admin/users/${user.id}/remove-factors`,
      { password: PASSWORD },
      { cookie: admin.cookie, mode: 'htmx' },
    )
    expect(htmx.status).toBe(409)
    const fragment = await htmx.text()
    expect(fragment).not.toContain('<html')
    expect(fragment).toContain('The account has no second factor to remove.')
    // Audited for the log with the admin and the target, before any password check.
    const lines = seen.lines().filter((l) => l['outcome'] === 'failure')
    expect(lines.map((l) => l['action'])).toEqual([
      'admin_resend_verification',
      'admin_remove_factors',
      'admin_unlock',
      'admin_remove_factors',
    ])
    expect(lines[0]).toMatchObject({
      adminId: admin.id,
      targetId: user.id,
      reason: 'already_confirmed',
    })
    expect(lines[0]).not.toHaveProperty('userId')
    seen.restore()
    // Nothing changed: still signed in, no mail, no line in the user's activity.
    expect((await get('/account', { cookie: user.cookie })).status).toBe(200)
    expect(await settledSubjects(user.email)).toEqual([])
    const kinds = (
      await db().select().from(securityEvents).where(eq(securityEvents.userId, user.id))
    ).map((e) => e.kind)
    expect(kinds.filter((k) => k.startsWith('admin_'))).toEqual([])

    // A lock on a locked account is refused too; the first lock stays as it was.
    expect((await act(admin, user.id, 'lock', { reason: 'first' })).status).toBe(303)
    const again = await act(admin, user.id, 'lock', { reason: 'second' })
    expect(again.status).toBe(409)
    expect(await again.text()).toContain('The account is already locked.')
    const [row] = await db().select().from(users).where(eq(users.id, user.id))
    expect(row!.lockReason).toBe('first')
    await waitForMail(user.email, 'is locked')
    expect((await settledSubjects(user.email)).filter((s) => s.includes('is locked'))).toHaveLength(
      1,
    )
  })

  it('the account page links to the console for admins only', async () => {
    const admin = await signedInAdmin()
    const user = await member()
    expect(await (await get('/account', { cookie: admin.cookie })).text()).toContain(
      'href="/admin"',
    )
    expect(await (await get('/account', { cookie: user.cookie })).text()).not.toContain(
      'href="/admin"',
    )
  })

  it("an admin cannot act on another admin's account, and each try is audited", async () => {
    const admin = await signedInAdmin()
    const other = await signedInAdmin()
    for (const action of ACTIONS) {
      const res = await act(admin, other.id, action, { reason: 'x' })
      expect(res.status, action).toBe(403)
    }
    // Through callApp, so this isolate's log capture sees the audit line.
    const seen = captureLogs()
    const tried = await callApp(
      `/admin/users/${other.id}/lock`,
      {},
      {
        cookie: admin.cookie,
        method: 'POST',
        body: new URLSearchParams({ password: PASSWORD, reason: 'x' }),
      },
    )
    seen.restore()
    expect(tried.status).toBe(403)
    expect(seen.lines().filter((l) => l.event === 'audit')).toEqual([
      expect.objectContaining({
        action: 'admin_lock',
        outcome: 'failure',
        reason: 'target_is_admin',
        adminId: admin.id,
        targetId: other.id,
      }),
    ])
    expect((await get('/account', { cookie: other.cookie })).status).toBe(200)
    const [row] = await db().select().from(users).where(eq(users.id, other.id))
    expect(row!.lockedAt).toBeNull()
    expect(
      await (await get(`/admin/users/${other.id}`, { cookie: admin.cookie })).text(),
    ).toContain('cannot be changed from the console')
  })
})
