import { env } from 'cloudflare:test'
import { and, count, eq, sql } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { keyedHash } from '../../src/core/security/throttle'
import { sessions, users } from '../../src/core/db/schema'
import { loginThrottles } from '../../src/core/security/tables'
import {
  callApp,
  cookieFrom,
  db,
  FLASH,
  get,
  PASSWORD,
  post,
  SESSION,
  signedIn,
  uniqueAddress,
  sessionHashOf,
} from './helpers'

const NEW_PASSWORD = 'another quite long passphrase'
const FIREFOX_WINDOWS =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0'
const SAFARI_IPHONE =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1'

type Mode = 'plain' | 'htmx'

async function userOf(email: string) {
  const [user] = await db().select().from(users).where(eq(users.email, email))
  return user
}

async function sessionCount(userId: number) {
  const [row] = await db().select({ n: count() }).from(sessions).where(eq(sessions.userId, userId))
  return Number(row?.n)
}

/** The id hash of the session a cookie names, as the sessions table and the list hold it. */
async function idHashOf(cookie: string) {
  return sessionHashOf(cookie)
}

/** Signs in again as an existing user, as from another device; returns that device's cookie. */
async function anotherDevice(email: string, password = PASSWORD, userAgent?: string) {
  const headers: Record<string, string> = userAgent ? { 'User-Agent': userAgent } : {}
  const res = await post('/login', { email, password }, { headers })
  const cookie = cookieFrom(res, SESSION)
  if (res.status !== 303 || !cookie) throw new Error(`login failed: ${res.status}`)
  return cookie
}

async function signedInStill(cookie: string) {
  const res = await get('/account', { cookie })
  return res.status === 200
}

/** What a successful form post answers in each mode: a 303, or 204 with HX-Location. */
function expectNavigation(res: Response, mode: Mode, path: string) {
  if (mode === 'plain') {
    expect(res.status).toBe(303)
    expect(res.headers.get('Location')).toBe(path)
  } else {
    expect(res.status).toBe(204)
    expect(JSON.parse(res.headers.get('HX-Location')!)).toEqual({ path })
  }
}

/** A refused form: the whole page without JavaScript, only the form itself for htmx. */
async function expectForm(res: Response, mode: Mode, status: number, formId: string) {
  expect(res.status).toBe(status)
  expect(res.headers.get('Cache-Control')).toBe('no-store')
  const html = await res.text()
  if (mode === 'plain') expect(html).toMatch(/^<!DOCTYPE html>/)
  else expect(html).toMatch(new RegExp(`^<form id="${formId}"`))
  return html
}

describe('GET /account', () => {
  it('shows username, email and member since, uncached', async () => {
    const { email, cookie } = await signedIn('Ada <Lovelace>')
    const res = await get('/account', { cookie })
    expect(res.status).toBe(200)
    expect(res.headers.get('Cache-Control')).toBe('no-store')
    const html = await res.text()
    expect(html).toContain('Ada &lt;Lovelace&gt;')
    expect(html).toContain(email)
    const since = (await userOf(email))!.createdAt.toISOString()
    expect(html).toContain(`datetime="${since}"`)
    for (const path of ['/account/username', '/account/password', '/account/sessions'])
      expect(html).toContain(`href="${path}"`)
    expect(html).toContain('href="/account/delete"')
  })

  it('is linked from the welcome page', async () => {
    const { cookie } = await signedIn()
    expect(await (await get('/welcome', { cookie })).text()).toContain('href="/account"')
  })

  it('sends signed-out visitors to / for every account page and form', async () => {
    for (const path of ['/account', '/account/password', '/account/sessions', '/account/delete']) {
      const res = await get(path)
      expect(res.status).toBe(303)
      expect(res.headers.get('Location')).toBe('/')
      expect(res.headers.get('Cache-Control')).toBe('no-store')
    }
    const htmx = await post('/account/delete', { password: PASSWORD }, { mode: 'htmx' })
    expect(htmx.status).toBe(204)
    expect(JSON.parse(htmx.headers.get('HX-Location')!)).toEqual({ path: '/' })
  })

  it('refuses a form post from another origin (CSRF)', async () => {
    const { email, cookie } = await signedIn()
    const res = await post(
      '/account/delete',
      { password: PASSWORD },
      { cookie, headers: { Origin: 'https://evil.example' } },
    )
    expect(res.status).toBe(403)
    expect(await userOf(email)).toBeDefined()
  })
})

describe.each<Mode>(['plain', 'htmx'])('account forms (%s)', (mode) => {
  describe('change username', () => {
    it('changes it under the signup rules and says so on the account page', async () => {
      const { email, cookie } = await signedIn('Ada')
      const res = await post('/account/username', { username: '  Grace  ' }, { cookie, mode })
      expectNavigation(res, mode, '/account')
      expect((await userOf(email))!.username).toBe('Grace')
      const page = await get('/account', { cookie: `${cookie}; ${cookieFrom(res, FLASH)}` })
      const html = await page.text()
      expect(html).toContain('Your username is changed.')
      expect(html).toContain('<dd>Grace</dd>')
    })

    it('refuses an empty, overlong or invisible name with 422 and the form', async () => {
      const { email, cookie } = await signedIn('Ada')
      const cases: [string, string][] = [
        ['   ', 'Choose a username.'],
        ['x'.repeat(65), 'Use at most 64 characters.'],
        ['a\u200bb', 'Use visible characters only.'],
      ]
      for (const [username, message] of cases) {
        const res = await post('/account/username', { username }, { cookie, mode })
        expect(await expectForm(res, mode, 422, 'username-form')).toContain(message)
      }
      expect((await userOf(email))!.username).toBe('Ada')
    })
  })

  describe('change password', () => {
    it('ends every other session and continues this one under a new id', async () => {
      const { email, cookie } = await signedIn()
      const other = await anotherDevice(email)
      const res = await post(
        '/account/password',
        { current_password: PASSWORD, new_password: NEW_PASSWORD },
        { cookie, mode },
      )
      expectNavigation(res, mode, '/account')
      const sessionCookies = res.headers.getSetCookie().filter((h) => h.startsWith(`${SESSION}=`))
      expect(sessionCookies).toHaveLength(1)
      const rotated = cookieFrom(res, SESSION)!
      expect(rotated).not.toBe(cookie)

      expect(await signedInStill(cookie)).toBe(false)
      expect(await signedInStill(other)).toBe(false)
      expect(await signedInStill(rotated)).toBe(true)
      const user = (await userOf(email))!
      expect(await sessionCount(user.id)).toBe(1)

      expect((await post('/login', { email, password: PASSWORD })).status).toBe(400)
      expect((await post('/login', { email, password: NEW_PASSWORD })).status).toBe(303)
    })

    it('refuses a wrong current password with 400 and changes nothing', async () => {
      const { email, cookie } = await signedIn()
      const before = (await userOf(email))!.pass_word
      const res = await post(
        '/account/password',
        { current_password: 'not my password at all', new_password: NEW_PASSWORD },
        { cookie, mode },
      )
      const html = await expectForm(res, mode, 400, 'password-form')
      expect(html).toContain('That is not your current password.')
      expect(html).not.toContain('not my password at all')
      expect((await userOf(email))!.pass_word).toBe(before)
      expect(await signedInStill(cookie)).toBe(true)
    })

    it('holds the new password to the signup rules (422)', async () => {
      const { cookie } = await signedIn('Marguerite')
      const cases: [string, string][] = [
        ['', 'Choose a password.'],
        ['too short', 'Use at least 15 characters (you have 9).'],
        ['marguerite is my name ok', 'Do not use your username or email in your password.'],
        ['é'.repeat(40), 'Use at most 72 bytes'],
      ]
      for (const [newPassword, message] of cases) {
        const res = await post(
          '/account/password',
          { current_password: PASSWORD, new_password: newPassword },
          { cookie, mode },
        )
        expect(await expectForm(res, mode, 422, 'password-form')).toContain(message)
      }
      const empty = await post(
        '/account/password',
        { new_password: NEW_PASSWORD },
        { cookie, mode },
      )
      expect(await expectForm(empty, mode, 422, 'password-form')).toContain('Enter your password.')
    })

    it('throttles re-checks like logins: 5 wrong from one address, then 429', async () => {
      const { email, cookie } = await signedIn()
      const headers = { 'CF-Connecting-IP': uniqueAddress() }
      const attempt = (current: string) =>
        post(
          '/account/password',
          { current_password: current, new_password: NEW_PASSWORD },
          { cookie, mode, headers },
        )
      for (let i = 0; i < 5; i++) expect((await attempt('wrong guess number')).status).toBe(400)
      const blocked = await attempt(PASSWORD)
      const html = await expectForm(blocked, mode, 429, 'password-form')
      expect(html).toContain('Too many attempts.')
      expect(Number(blocked.headers.get('Retry-After'))).toBeGreaterThan(800)
      // The same keys as a login: that address cannot go on guessing at the login form either.
      expect((await post('/login', { email, password: PASSWORD }, { headers })).status).toBe(429)
    })
  })

  describe('sessions', () => {
    it('lists each session in words, marks this one, and ends another at once', async () => {
      const { email, cookie: first } = await signedIn()
      const mine = await anotherDevice(email, PASSWORD, FIREFOX_WINDOWS)
      const phone = await anotherDevice(email, PASSWORD, SAFARI_IPHONE)
      const page = await get('/account/sessions', { cookie: mine, mode })
      expect(page.status).toBe(200)
      expect(page.headers.get('Cache-Control')).toBe('no-store')
      const html = await page.text()
      expect(html).toContain('Firefox on Windows')
      expect(html).toContain('Safari on iOS')
      expect(html).toContain('Unknown browser')
      expect(html.match(/\(this device\)/g)).toHaveLength(1)
      const current = html.slice(html.indexOf('session current'))
      expect(current.slice(0, current.indexOf('</li>'))).toContain('Firefox on Windows')
      for (const cookie of [first, mine, phone])
        expect(html).toContain(`value="${await idHashOf(cookie)}"`)

      const res = await post(
        '/account/sessions/end',
        { session: await idHashOf(phone) },
        { cookie: mine, mode },
      )
      expectNavigation(res, mode, '/account/sessions')
      expect(await signedInStill(phone)).toBe(false)
      expect(await signedInStill(mine)).toBe(true)
      expect(await signedInStill(first)).toBe(true)
      const after = await get('/account/sessions', {
        cookie: `${mine}; ${cookieFrom(res, FLASH)}`,
      })
      const listed = await after.text()
      expect(listed).toContain('That session is ended')
      expect(listed).not.toContain('Safari on iOS')
    })

    it("cannot end another user's session", async () => {
      const { cookie } = await signedIn()
      const victim = await signedIn()
      const res = await post(
        '/account/sessions/end',
        { session: await idHashOf(victim.cookie) },
        { cookie, mode },
      )
      expect(res.status).toBe(404)
      expect(await res.text()).toContain('That session is not in your list')
      expect(await signedInStill(victim.cookie)).toBe(true)
    })

    it('refuses a malformed session id with 422', async () => {
      const { cookie } = await signedIn()
      const res = await post('/account/sessions/end', { session: 'nope' }, { cookie, mode })
      expect(res.status).toBe(422)
      expect(await res.text()).toContain('Choose a session from the list.')
    })

    it('ending the current session signs this device out', async () => {
      const { email, cookie } = await signedIn()
      const res = await post(
        '/account/sessions/end',
        { session: await idHashOf(cookie) },
        { cookie, mode },
      )
      expectNavigation(res, mode, '/')
      expect(cookieFrom(res, SESSION)).toBe(`${SESSION}=`)
      expect(await signedInStill(cookie)).toBe(false)
      expect(await sessionCount((await userOf(email))!.id)).toBe(0)
    })

    it('signs out everywhere else after the password, keeping this session', async () => {
      const { email, cookie } = await signedIn()
      const others = [await anotherDevice(email), await anotherDevice(email)]
      const wrong = await post(
        '/account/sessions/others',
        { password: 'not my password at all' },
        { cookie, mode },
      )
      const wrongHtml = await expectForm(wrong, mode, 400, 'others-form')
      expect(wrongHtml).toContain('That is not your current password.')
      const empty = await post('/account/sessions/others', {}, { cookie, mode })
      const emptyHtml = await expectForm(empty, mode, 422, 'others-form')
      expect(emptyHtml).toContain('Enter your password.')
      // Without JavaScript the refusal comes with the whole sessions page around it.
      if (mode === 'plain') expect(emptyHtml).toContain('<h1 id="sessions-title" tabindex="-1">')
      for (const other of others) expect(await signedInStill(other)).toBe(true)

      const res = await post('/account/sessions/others', { password: PASSWORD }, { cookie, mode })
      expectNavigation(res, mode, '/account/sessions')
      for (const other of others) expect(await signedInStill(other)).toBe(false)
      expect(await signedInStill(cookie)).toBe(true)
      expect(await sessionCount((await userOf(email))!.id)).toBe(1)
    })
  })

  describe('delete account', () => {
    it('removes the user and every row of theirs; old cookies get nothing', async () => {
      const { email, cookie } = await signedIn()
      const other = await anotherDevice(email)
      // A failed sign-in leaves the account's throttle row behind.
      expect((await post('/login', { email, password: 'wrong guess here' })).status).toBe(400)
      const hash = await keyedHash(env.SESSION_SECRET!)
      const accountKey = await hash(`account\n${email}`)
      const throttleRow = () =>
        db().select().from(loginThrottles).where(eq(loginThrottles.keyHash, accountKey))
      expect(await throttleRow()).toHaveLength(1)
      const { id } = (await userOf(email))!

      const res = await post('/account/delete', { password: PASSWORD }, { cookie, mode })
      expectNavigation(res, mode, '/signup')
      expect(cookieFrom(res, SESSION)).toBe(`${SESSION}=`)
      expect(await userOf(email)).toBeUndefined()
      expect(await sessionCount(id)).toBe(0)
      expect(await throttleRow()).toHaveLength(0)
      expect(await signedInStill(cookie)).toBe(false)
      expect(await signedInStill(other)).toBe(false)
      expect((await post('/login', { email, password: PASSWORD })).status).toBe(400)

      const signup = await get('/signup', { cookie: cookieFrom(res, FLASH) })
      expect(await signup.text()).toContain('Your account and everything kept with it are deleted.')
    })

    it('refuses a wrong or missing password and deletes nothing', async () => {
      const { email, cookie } = await signedIn()
      const wrong = await post(
        '/account/delete',
        { password: 'not my password at all' },
        { cookie, mode },
      )
      const html = await expectForm(wrong, mode, 400, 'delete-form')
      expect(html).toContain('That is not your current password.')
      const empty = await post('/account/delete', { password: '' }, { cookie, mode })
      expect(await expectForm(empty, mode, 422, 'delete-form')).toContain('Enter your password.')
      expect(await userOf(email)).toBeDefined()
      expect(await signedInStill(cookie)).toBe(true)
    })
  })
})

describe('account deletion is atomic', () => {
  it('a failure part-way leaves the user, sessions and throttle row in place', async () => {
    const username = `atomic-${Date.now().toString(36)}`
    const { email, cookie } = await signedIn(username)
    const other = await anotherDevice(email)
    expect((await post('/login', { email, password: 'wrong guess here' })).status).toBe(400)
    const { id } = (await userOf(email))!
    const accountKey = await (await keyedHash(env.SESSION_SECRET!))(`account\n${email}`)
    // The user row goes last: a trigger refuses exactly this user's delete, after the sessions and
    // the throttle row were already deleted inside the transaction.
    const trigger = `refuse_${username.replace(/-/g, '_')}`
    await db().execute(
      sql.raw(`create trigger ${trigger} before delete on users for each row
        if old.username = '${username}' then
          signal sqlstate '45000' set message_text = 'refused by test';
        end if`),
    )
    try {
      const res = await post('/account/delete', { password: PASSWORD }, { cookie })
      expect(res.status).toBe(500)
    } finally {
      await db().execute(sql.raw(`drop trigger ${trigger}`))
    }
    expect(await userOf(email)).toBeDefined()
    expect(await sessionCount(id)).toBe(2)
    const throttle = await db()
      .select()
      .from(loginThrottles)
      .where(and(eq(loginThrottles.keyHash, accountKey)))
    expect(throttle).toHaveLength(1)
    expect(await signedInStill(cookie)).toBe(true)
    expect(await signedInStill(other)).toBe(true)
    // With the obstacle gone, the same request goes through.
    const res = await post('/account/delete', { password: PASSWORD }, { cookie })
    expect(res.status).toBe(303)
    expect(await userOf(email)).toBeUndefined()
  })
})

describe('session origin', () => {
  it("records the place from Cloudflare's request.cf when present", async () => {
    const { email } = await signedIn()
    const body = new URLSearchParams({ email, password: PASSWORD })
    const cf = { city: 'Lisbon', country: 'PT' } as RequestInit['cf']
    const res = await callApp('/login', {}, { method: 'POST', body, cf })
    const cookie = cookieFrom(res, SESSION)!
    const html = await (await get('/account/sessions', { cookie })).text()
    expect(html).toContain('Lisbon, PT')
  })
})
