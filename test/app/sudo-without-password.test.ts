import { eq } from 'drizzle-orm'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { sessions, users } from '../../src/core/db/schema'
import { verifyPassword } from '../../src/core/passwords/hash'
import { loginThrottles } from '../../src/core/security/tables'
import { countWaysIn, NO_PASSWORD } from '../../src/core/signin/ways-in'
import { features } from '../../src/features'
import {
  accountKey,
  cookieFrom,
  db,
  FLASH,
  PASSWORD,
  SESSION,
  signedIn,
  uniqueEmail,
  userIdOf,
} from './helpers'
import { waitForMail } from './mail-outbox'
import { get, oidcPerson, oidcSignIn, post } from './provider-flow'

// Sudo mode for an account without a password (issue 20): a recent sign-in stands in for the
// password (core/signin/reauth.ts), so no sudo form shows or asks for one.

afterEach(() => vi.restoreAllMocks())

const NEW_PASSWORD = 'a brand new passphrase here'
const NO_PASSWORD_HINT = 'Your account has no password: a sign-in within the last 5 minutes'
const NOT_RECENT = 'Your account has no password: sign in again'

/** A signed-in account whose password is gone (as a provider's new account has none). */
async function withoutPassword() {
  const { email, cookie } = await signedIn()
  // A second device, so "sign out everywhere else" has something to end.
  const other = cookieFrom(await post('/login', { email, password: PASSWORD }), SESSION)!
  const id = await userIdOf(email)
  await db().update(users).set({ pass_word: NO_PASSWORD }).where(eq(users.id, id))
  return { email, cookie, other, id }
}

/** The session started `minutes` ago: past 5, no longer a recent sign-in. */
async function startedAgo(userId: number, minutes: number) {
  await db()
    .update(sessions)
    .set({ createdAt: new Date(Date.now() - minutes * 60 * 1000) })
    .where(eq(sessions.userId, userId))
}

const signedInStill = async (cookie: string) => (await get('/account', { cookie })).status === 200

const passwordInputs = (html: string) => html.match(/<input[^>]*type="password"[^>]*>/g) ?? []

describe('an account without a password', () => {
  it('sees no password input on any sudo form, but why none is needed', async () => {
    const { cookie } = await withoutPassword()
    const admin = await withoutPassword()
    await db().update(users).set({ role: 'admin' }).where(eq(users.id, admin.id))
    const target = await signedIn()
    const pages: [string, string][] = [
      ['/account/email', cookie],
      ['/account/sessions', cookie],
      ['/account/delete', cookie],
      ['/account/two-factor', cookie],
      ['/account/passkeys', cookie],
      ['/account/connected', cookie],
      [`/admin/users/${await userIdOf(target.email)}`, admin.cookie],
    ]
    for (const [path, as] of pages) {
      const res = await get(path, { cookie: as })
      expect(res.status, path).toBe(200)
      const html = await res.text()
      expect(passwordInputs(html), path).toEqual([])
      expect(html, path).toContain(NO_PASSWORD_HINT)
    }
    // The account page's link says what it does for an account without one.
    const account = await (await get('/account', { cookie })).text()
    expect(account).toContain('>Set a password<')
    expect(account).not.toContain('>Change password<')
    // The password page sets a first password: the new one only, under signup's rules.
    const html = await (await get('/account/password', { cookie })).text()
    expect(html).toContain('Set a password')
    expect(html).not.toContain('name="current_password"')
    expect(passwordInputs(html)).toHaveLength(1)
    expect(html).toContain('name="new_password"')
    // An account with a password still gets its field.
    const owner = await signedIn()
    const theirs = await (await get('/account/delete', { cookie: owner.cookie })).text()
    expect(passwordInputs(theirs)).toHaveLength(1)
    expect(theirs).not.toContain(NO_PASSWORD_HINT)
  })

  it('passes sudo mode with no password field sent after a recent sign-in', async () => {
    const { cookie, other, email, id } = await withoutPassword()
    const ended = await post('/account/sessions/others', {}, { cookie })
    expect(ended.status).toBe(303)
    expect(await signedInStill(other)).toBe(false)
    expect(await signedInStill(cookie)).toBe(true)
    const setup = await post('/account/two-factor/setup', {}, { cookie })
    expect(setup.status).toBe(200)
    expect(await setup.text()).toContain('Set up your authenticator app')
    const moved = await post('/account/email', { email: uniqueEmail('moved') }, { cookie })
    expect(moved.status).toBe(303)
    await waitForMail(email, 'email address is about to change')
    const deleted = await post('/account/delete', {}, { cookie })
    expect(deleted.status).toBe(303)
    expect(await db().select().from(users).where(eq(users.id, id))).toHaveLength(0)
  })

  it('is refused with what to do once the sign-in is more than 5 minutes old', async () => {
    const { cookie, other, id } = await withoutPassword()
    await startedAgo(id, 6)
    for (const [path, fields] of [
      ['/account/sessions/others', {}],
      ['/account/delete', {}],
      ['/account/email', { email: uniqueEmail('stale') }],
      ['/account/two-factor/setup', {}],
      ['/account/password', { new_password: NEW_PASSWORD }],
    ] as const) {
      const res = await post(path, fields, { cookie })
      expect(res.status, path).toBe(400)
      const html = await res.text()
      expect(html, path).toContain(NOT_RECENT)
      expect(
        passwordInputs(html).filter((i) => !i.includes('new_password')),
        path,
      ).toEqual([])
    }
    expect(await signedInStill(other)).toBe(true)
    const [row] = await db().select().from(users).where(eq(users.id, id))
    expect(row!.pass_word).toBe(NO_PASSWORD)
    expect(row!.totpKey).toBeNull()
  })

  it('sets a first password on the password page, which then counts as a way in', async () => {
    const { email, cookie, other, id } = await withoutPassword()
    expect(await countWaysIn(db(), features, id)).toBe(0)
    // Signup's rules apply to it.
    const weak = await post('/account/password', { new_password: 'too short' }, { cookie })
    expect(weak.status).toBe(422)
    expect(await weak.text()).toContain('Use at least 15 characters')
    const res = await post('/account/password', { new_password: NEW_PASSWORD }, { cookie })
    expect(res.status).toBe(303)
    expect(res.headers.get('Location')).toBe('/account')
    const [row] = await db().select().from(users).where(eq(users.id, id))
    expect((await verifyPassword(NEW_PASSWORD, row!.pass_word, 4)).ok).toBe(true)
    expect(await countWaysIn(db(), features, id)).toBe(1)
    await waitForMail(email, 'password was changed')
    // As any password change: a fresh session here, every other one ended.
    const fresh = cookieFrom(res, SESSION)!
    expect(fresh).not.toBe(cookie)
    expect(await signedInStill(cookie)).toBe(false)
    expect(await signedInStill(other)).toBe(false)
    const account = await get('/account', { cookie: `${fresh}; ${cookieFrom(res, FLASH)}` })
    expect(await account.text()).toContain('Your password is changed.')
    // From now on the forms ask for it, and it signs in.
    const page = await (await get('/account/password', { cookie: fresh })).text()
    expect(page).toContain('name="current_password"')
    expect((await post('/login', { email, password: NEW_PASSWORD })).status).toBe(303)
  })

  it('keeps the sign-in time through a change that renews the session: no chaining sudo mode', async () => {
    const { cookie, id } = await withoutPassword()
    await startedAgo(id, 4)
    const res = await post('/account/password', { new_password: NEW_PASSWORD }, { cookie })
    expect(res.status).toBe(303)
    const fresh = cookieFrom(res, SESSION)!
    expect(fresh).not.toBe(cookie)
    expect(await signedInStill(fresh)).toBe(true)
    // The renewed session is the only one left, and it was signed in 4 minutes ago, not now: a
    // minute on, a sign-in no longer counts as recent for the next change.
    const rows = await db().select().from(sessions).where(eq(sessions.userId, id))
    expect(rows).toHaveLength(1)
    expect(Date.now() - rows[0]!.createdAt.getTime()).toBeGreaterThan(3.5 * 60 * 1000)
  })

  it('made by a provider sign-in, needs no password in sudo mode from its first session', async () => {
    const email = uniqueEmail('oidc-sudo')
    const { res } = await oidcSignIn(oidcPerson(email))
    const cookie = cookieFrom(res, SESSION)!
    const html = await (await get('/account/password', { cookie })).text()
    expect(html).toContain('Set a password')
    const set = await post('/account/password', { new_password: NEW_PASSWORD }, { cookie })
    expect(set.status).toBe(303)
    const id = await userIdOf(email)
    expect(await countWaysIn(db(), features, id)).toBe(2)
  })
})

describe('an account with a password that sends an empty one', () => {
  it('hears "Enter your password." before any bcrypt or throttle count', async () => {
    const { email, cookie } = await signedIn()
    const throttleRow = async () =>
      (
        await db()
          .select()
          .from(loginThrottles)
          .where(eq(loginThrottles.keyHash, await accountKey(email)))
      )[0]?.failures ?? 0
    const before = await throttleRow()
    // The connect form's schema lets an empty field through: reauthenticate answers it. The
    // others refuse it in their schema, with the status each had before.
    const empty: [string, number][] = [
      ['/account/connected/github/connect', 400],
      ['/account/two-factor/setup', 400],
      ['/account/delete', 422],
    ]
    for (const [path, status] of empty) {
      const res = await post(path, { password: '' }, { cookie })
      expect(res.status, path).toBe(status)
      expect(await res.text(), path).toContain('Enter your password.')
    }
    expect(await throttleRow()).toBe(before)
    // A wrong one is counted: the row above is the one that would have moved.
    const wrong = await post('/account/delete', { password: 'not my password at all' }, { cookie })
    expect(wrong.status).toBe(400)
    expect(await throttleRow()).toBe(before + 1)
    expect(await signedInStill(cookie)).toBe(true)
  })
})
