import { eq, sql } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { sessions, users } from '../../src/core/db/schema'
import { oneTimeTokens } from '../../src/core/security/tables'
import { deleteAccount } from '../../src/core/lifecycle'
import { features } from '../../src/features'
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
  signup,
  uniqueAddress,
  uniqueEmail,
  userIdOf,
} from './helpers'
import { linkPath, sentTo, settledCount, waitForMail } from './mail-outbox'

const NEW_PASSWORD = 'another rather long passphrase'
const RESET = '__Host-reset'

/** Asks for a reset link for `email` and returns the path of the link that arrived. */
async function requestReset(email: string, already = 0) {
  const res = await post('/forgot', { email })
  expect(res.status).toBe(303)
  const mail = await waitForMail(email, 'Reset your edge-auth password', already + 1)
  return linkPath(mail)
}

/** Opens a link as a mail client would: the token moves into a cookie; returns that cookie. */
async function openLink(path: string) {
  const res = await get(path)
  expect(res.status).toBe(303)
  expect(res.headers.get('Location')).toBe('/reset')
  expect(res.headers.get('Referrer-Policy')).toBe('no-referrer')
  const cookie = cookieFrom(res, RESET)
  expect(cookie).toBeDefined()
  return cookie!
}

describe('forgot password', () => {
  it('answers a known and an unknown address identically (ASVS 6.3.8)', async () => {
    const known = uniqueEmail('known')
    const unknown = uniqueEmail('unknown')
    await signup({ email: known })
    const address = uniqueAddress()
    const headers = { 'CF-Connecting-IP': address }
    const a = await post('/forgot', { email: known }, { headers })
    const b = await post('/forgot', { email: unknown }, { headers })
    expect(a.status).toBe(303)
    expect(b.status).toBe(a.status)
    expect(await b.text()).toBe(await a.text())
    expect([...b.headers.entries()]).toEqual([...a.headers.entries()])
    expect(a.headers.get('Location')).toBe('/forgot/sent')
    expect(a.headers.getSetCookie()).toEqual([])
    // With htmx too: a 204 and the same HX-Location for both.
    const ha = await post('/forgot', { email: known }, { mode: 'htmx', headers })
    const hb = await post('/forgot', { email: unknown }, { mode: 'htmx', headers })
    expect(ha.status).toBe(204)
    expect([...hb.headers.entries()]).toEqual([...ha.headers.entries()])
    // Only the account's owner got mail.
    await waitForMail(known, 'Reset your', 2)
    expect(await settledCount(unknown)).toBe(0)
  })

  it('refuses a malformed address with 422 and the form, whatever the database holds', async () => {
    const res = await post('/forgot', { email: 'not-an-address' }, { mode: 'htmx' })
    expect(res.status).toBe(422)
    expect(await res.text()).toContain('Enter an email like name@example.com.')
  })

  it('shows the forgot form, linked from the sign-in page', async () => {
    expect(await (await get('/')).text()).toContain('href="/forgot"')
    const res = await get('/forgot')
    expect(res.status).toBe(200)
    expect(await res.text()).toContain('action="/forgot"')
  })
})

describe('the reset link', () => {
  it('moves the token out of the URL, then sets a new password once', async () => {
    const email = uniqueEmail()
    await signup({ email })
    const path = await requestReset(email)
    expect(path).toMatch(/^\/reset\/[a-z2-7]{32}$/)
    const cookie = await openLink(path)
    // The token's cookie: HttpOnly, Lax, host-only, short-lived.
    const setCookie = (await get(path)).headers.getSetCookie().join('\n')
    expect(setCookie).toMatch(/HttpOnly/)
    expect(setCookie).toMatch(/SameSite=Lax/)
    // A session cookie: an abandoned reset ends with the browser on a shared computer (issue 16).
    expect(setCookie).not.toMatch(/Max-Age/)

    const form = await get('/reset', { cookie })
    expect(form.status).toBe(200)
    expect(form.headers.get('Referrer-Policy')).toBe('no-referrer')
    expect(form.headers.get('Cache-Control')).toBe('no-store')
    const html = await form.text()
    expect(html).toContain('action="/reset"')
    expect(html).not.toContain(path.slice(7))

    const done = await post('/reset', { password: NEW_PASSWORD }, { cookie })
    expect(done.status).toBe(303)
    expect(done.headers.get('Location')).toBe('/')
    expect(cookieFrom(done, RESET)).toBe(`${RESET}=`)
    // Lands on sign-in with a notice; no session was started.
    expect(cookieFrom(done, SESSION)).toBeUndefined()
    const landing = await get('/', { cookie: cookieFrom(done, FLASH) })
    expect(await landing.text()).toContain('Your password was changed')

    const login = await post('/login', { email, password: NEW_PASSWORD })
    expect(login.status).toBe(303)
    expect((await post('/login', { email, password: PASSWORD })).status).toBe(400)

    // Used: the same link and cookie are refused, with a way to ask again.
    const again = await post('/reset', { password: 'yet another long passphrase' }, { cookie })
    expect(again.status).toBe(400)
    const page = await again.text()
    expect(page).toContain('This link cannot be used')
    expect(page).toContain('href="/forgot"')
    expect((await get('/reset', { cookie: await openLink(path) })).status).toBe(400)
  })

  it('ends every session of the user and mails "your password was changed"', async () => {
    const { email, cookie: first } = await signedIn()
    const second = cookieFrom(await post('/login', { email, password: PASSWORD }), SESSION)!
    expect((await get('/welcome', { cookie: first })).status).toBe(200)
    const userId = await userIdOf(email)
    const path = await requestReset(email)
    const done = await post('/reset', { password: NEW_PASSWORD }, { cookie: await openLink(path) })
    expect(done.status).toBe(303)
    expect(await db().select().from(sessions).where(eq(sessions.userId, userId))).toEqual([])
    for (const cookie of [first, second]) {
      expect((await get('/welcome', { cookie })).status).toBe(303)
    }
    const notice = await waitForMail(email, 'Your edge-auth password was changed')
    expect(notice.link).toBe('https://edge-auth.test/forgot')
    expect(notice.text).not.toContain(NEW_PASSWORD)
  })

  it('keeps the link when the change fails after it was checked (loses nothing)', async () => {
    const email = uniqueEmail()
    await signup({ email })
    const userId = await userIdOf(email)
    const cookie = await openLink(await requestReset(email))
    const body = new URLSearchParams({ password: NEW_PASSWORD })
    let blocked: Response | undefined
    // The users row is held, so the reset's transaction gives up (500 ms) after its first statement.
    await db().transaction(async (tx) => {
      await tx.execute(sql`select id from users where id = ${userId} for update`)
      blocked = await callApp(
        '/reset',
        { DATABASE_TIMEOUT_MS: '500' },
        {
          method: 'POST',
          body,
          cookie,
        },
      )
    })
    expect(blocked!.status).toBe(503)
    expect((await post('/login', { email, password: PASSWORD })).status).toBe(303)
    // The same link still works, once.
    const done = await post('/reset', { password: NEW_PASSWORD }, { cookie })
    expect(done.status).toBe(303)
    expect((await post('/login', { email, password: NEW_PASSWORD })).status).toBe(303)
    expect(
      (await post('/reset', { password: 'yet another long passphrase' }, { cookie })).status,
    ).toBe(400)
  })

  it('refuses an expired token', async () => {
    const email = uniqueEmail()
    await signup({ email })
    const cookie = await openLink(await requestReset(email))
    await db()
      .update(oneTimeTokens)
      .set({ expiresAt: new Date(Date.now() - 1000) })
      .where(eq(oneTimeTokens.userId, await userIdOf(email)))
    expect((await get('/reset', { cookie })).status).toBe(400)
    const res = await post('/reset', { password: NEW_PASSWORD }, { cookie })
    expect(res.status).toBe(400)
    expect((await post('/login', { email, password: PASSWORD })).status).toBe(303)
  })

  it('refuses an altered or forged token, and a missing one', async () => {
    const email = uniqueEmail()
    await signup({ email })
    const path = await requestReset(email)
    const token = path.slice('/reset/'.length)
    const altered = `${token.slice(0, -1)}${token.endsWith('a') ? 'b' : 'a'}`
    const cookie = await openLink(`/reset/${altered}`)
    expect((await get('/reset', { cookie })).status).toBe(400)
    expect((await post('/reset', { password: NEW_PASSWORD }, { cookie })).status).toBe(400)
    // Not token-shaped: no cookie at all, and the same page.
    const forged = await get('/reset/%3Cscript%3E')
    expect(forged.status).toBe(303)
    expect(cookieFrom(forged, RESET)).toBe(`${RESET}=`)
    expect((await get('/reset')).status).toBe(400)
    expect((await post('/reset', { password: NEW_PASSWORD })).status).toBe(400)
    // The genuine link still works.
    const ok = await post('/reset', { password: NEW_PASSWORD }, { cookie: await openLink(path) })
    expect(ok.status).toBe(303)
  })

  it('is replaced by a newer request', async () => {
    const email = uniqueEmail()
    await signup({ email })
    const older = await requestReset(email)
    const newer = await requestReset(email, 1)
    expect(newer).not.toBe(older)
    const stale = await post(
      '/reset',
      { password: NEW_PASSWORD },
      { cookie: await openLink(older) },
    )
    expect(stale.status).toBe(400)
    const fresh = await post(
      '/reset',
      { password: NEW_PASSWORD },
      { cookie: await openLink(newer) },
    )
    expect(fresh.status).toBe(303)
  })

  it('applies the signup password rules (422, the form kept, the token not spent)', async () => {
    const email = uniqueEmail('rules')
    await signup({ email })
    const cookie = await openLink(await requestReset(email))
    const short = await post('/reset', { password: 'short' }, { cookie, mode: 'htmx' })
    expect(short.status).toBe(422)
    expect(await short.text()).toContain('Use at least 15 characters (you have 5).')
    const common = await post('/reset', { password: 'passwordpassword' }, { cookie })
    expect(common.status).toBe(422)
    const own = await post('/reset', { password: `${email.split('@')[0]}-long` }, { cookie })
    expect(await own.text()).toContain('Do not use your username or email')
    const ok = await post('/reset', { password: NEW_PASSWORD }, { cookie, mode: 'htmx' })
    expect(ok.status).toBe(204)
    expect(JSON.parse(ok.headers.get('HX-Location') ?? '{}')).toEqual({ path: '/' })
  })

  it('never puts the password in any message', async () => {
    const email = uniqueEmail()
    await signup({ email })
    const cookie = await openLink(await requestReset(email))
    await post('/reset', { password: NEW_PASSWORD }, { cookie })
    await waitForMail(email, 'password was changed')
    for (const mail of await sentTo(email)) {
      for (const secret of [PASSWORD, NEW_PASSWORD]) {
        expect(mail.text).not.toContain(secret)
        expect(mail.html).not.toContain(secret)
      }
    }
  })

  it('confirms an unconfirmed address and voids an email change started with the old password', async () => {
    const { email, cookie } = await signedIn()
    const id = await userIdOf(email)
    // Someone who knows the password starts moving the account to their own address...
    const theirs = uniqueEmail('attacker')
    await post('/account/email', { email: theirs, password: PASSWORD }, { cookie })
    const change = await waitForMail(theirs, 'Confirm your new email address')
    // ...and the owner, warned by the notice, resets the password.
    await waitForMail(email, 'about to change')
    const reset = await openLink(await requestReset(email))
    expect((await post('/reset', { password: NEW_PASSWORD }, { cookie: reset })).status).toBe(303)
    const landed = await get(linkPath(change))
    const link = cookieFrom(landed, '__Host-email_change')!
    expect((await post('/account/email/confirm', {}, { cookie: link })).status).toBe(400)
    const [row] = await db().select().from(users).where(eq(users.id, id))
    expect(row!.email).toBe(email)
    expect(row!.emailVerifiedAt).toBeInstanceOf(Date)
  })

  it('account deletion removes every link of a user', async () => {
    const email = uniqueEmail()
    await signup({ email })
    const path = await requestReset(email)
    const id = await userIdOf(email)
    expect(
      await db().select().from(oneTimeTokens).where(eq(oneTimeTokens.userId, id)),
    ).toHaveLength(1)
    await deleteAccount(db(), features, id, [])
    expect(await db().select().from(oneTimeTokens).where(eq(oneTimeTokens.userId, id))).toEqual([])
    expect((await get('/reset', { cookie: await openLink(path) })).status).toBe(400)
  })
})
