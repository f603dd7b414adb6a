import { eq, sql } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { users } from '../../src/core/db/schema'
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
  uniqueEmail,
  userIdOf,
} from './helpers'
import { linkPath, settledSubjects, waitForMail } from './mail-outbox'

const CONFIRM = '__Host-email_change'

async function userRow(id: number) {
  const [row] = await db().select().from(users).where(eq(users.id, id))
  return row!
}

describe('email change', () => {
  it('asks for the password, mails the new address a link and the old one a notice', async () => {
    const { email, cookie } = await signedIn()
    const id = await userIdOf(email)
    const form = await get('/account/email', { cookie })
    expect(form.status).toBe(200)
    expect(form.headers.get('Cache-Control')).toBe('no-store')
    expect(await form.text()).toContain('name="password"')

    const next = uniqueEmail('next')
    const res = await post('/account/email', { email: next, password: PASSWORD }, { cookie })
    expect(res.status).toBe(303)
    expect(res.headers.get('Location')).toBe('/account/email/sent')
    const notice = await waitForMail(email, 'about to change')
    expect(notice.text).toContain(next)
    const mail = await waitForMail(next, 'Confirm your new email address')
    // Nothing changes before the link is opened, and opening it (GET) changes nothing either.
    const path = linkPath(mail)
    expect(path).toMatch(/^\/account\/email\/confirm\/[a-z2-7]{32}$/)
    const landed = await get(path)
    expect(landed.status).toBe(303)
    expect(landed.headers.get('Location')).toBe('/account/email/confirm')
    expect(landed.headers.get('Referrer-Policy')).toBe('no-referrer')
    const link = cookieFrom(landed, CONFIRM)!
    const page = await get('/account/email/confirm', { cookie: link })
    const html = await page.text()
    expect(html).toContain(next)
    // The account that would take the address is named (someone may ask for a stranger's).
    expect(html).toContain('<strong>Ada</strong>')
    expect(mail.text).toContain('account "Ada"')
    expect(html).not.toContain('another account than the one you are signed in to')
    const stranger = await signedIn('Eve')
    const seenByStranger = await get('/account/email/confirm', {
      cookie: `${link}; ${stranger.cookie}`,
    })
    expect(await seenByStranger.text()).toContain(
      'another account than the one you are signed in to',
    )
    expect((await userRow(id)).email).toBe(email)

    // Opened on another device, with no session: the address changes, confirmed.
    const done = await post('/account/email/confirm', {}, { cookie: link })
    expect(done.status).toBe(303)
    expect(done.headers.get('Location')).toBe('/')
    const landing = await get('/', { cookie: cookieFrom(done, FLASH) })
    expect(await landing.text()).toContain('Your email address was changed')
    const row = await userRow(id)
    expect(row.email).toBe(next)
    expect(row.emailVerifiedAt).toBeInstanceOf(Date)
    expect((await post('/login', { email: next, password: PASSWORD })).status).toBe(303)
    expect((await post('/login', { email, password: PASSWORD })).status).toBe(400)
    // Single use.
    expect((await post('/account/email/confirm', {}, { cookie: link })).status).toBe(400)
  })

  it('keeps the link when the change fails after it was checked (loses nothing)', async () => {
    const { email, cookie } = await signedIn()
    const id = await userIdOf(email)
    const next = uniqueEmail('next')
    await post('/account/email', { email: next, password: PASSWORD }, { cookie })
    const landed = await get(linkPath(await waitForMail(next, 'Confirm your new email address')))
    const link = cookieFrom(landed, CONFIRM)!
    let blocked: Response | undefined
    // The users row is held, so the change's transaction gives up (500 ms) after the link's delete.
    await db().transaction(async (tx) => {
      await tx.execute(sql`select id from users where id = ${id} for update`)
      blocked = await callApp(
        '/account/email/confirm',
        { DATABASE_TIMEOUT_MS: '500' },
        {
          method: 'POST',
          body: new URLSearchParams(),
          cookie: link,
        },
      )
    })
    expect(blocked!.status).toBe(503)
    expect((await userRow(id)).email).toBe(email)
    // The same link still works, once.
    expect((await post('/account/email/confirm', {}, { cookie: link })).status).toBe(303)
    expect((await userRow(id)).email).toBe(next)
    expect((await post('/account/email/confirm', {}, { cookie: link })).status).toBe(400)
  })

  it('answers a taken address the same way and changes nothing', async () => {
    const { email, cookie } = await signedIn()
    const taken = uniqueEmail('taken')
    await signup({ email: taken })
    const free = uniqueEmail('free')
    const a = await post('/account/email', { email: free, password: PASSWORD }, { cookie })
    const b = await post('/account/email', { email: taken, password: PASSWORD }, { cookie })
    expect(b.status).toBe(a.status)
    expect([...b.headers.entries()]).toEqual([...a.headers.entries()])
    await waitForMail(free, 'Confirm your new email address')
    await waitForMail(email, 'about to change', 2)
    expect(await settledSubjects(taken)).toEqual([])
    expect((await userRow(await userIdOf(email))).email).toBe(email)
  })

  it('refuses a wrong password (400), a bad address (422) and anonymous requests', async () => {
    const { email, cookie } = await signedIn()
    const next = uniqueEmail('nope')
    const wrong = await post(
      '/account/email',
      { email: next, password: 'not the password at all' },
      { cookie, mode: 'htmx' },
    )
    expect(wrong.status).toBe(400)
    const html = await wrong.text()
    expect(html).toContain('That is not your current password.')
    expect(html).toContain(`value="${next}"`)
    expect(html).not.toContain('not the password at all')
    const same = await post('/account/email', { email, password: PASSWORD }, { cookie })
    expect(same.status).toBe(422)
    expect(await same.text()).toContain('already your address')
    const anonymous = await post('/account/email', { email: next, password: PASSWORD })
    expect(anonymous.status).toBe(303)
    expect(anonymous.headers.get('Location')).toBe('/')
    expect(await settledSubjects(next)).toEqual([])
  })

  it('refuses the link when the address was taken in the meantime (409), changing nothing', async () => {
    const { email, cookie } = await signedIn()
    const next = uniqueEmail('race')
    await post('/account/email', { email: next, password: PASSWORD }, { cookie })
    const mail = await waitForMail(next, 'Confirm your new email address')
    await signup({ email: next })
    const link = cookieFrom(await get(linkPath(mail)), CONFIRM)!
    const res = await post('/account/email/confirm', {}, { cookie: `${link}; ${cookie}` })
    expect(res.status).toBe(409)
    expect((await userRow(await userIdOf(email))).email).toBe(email)
    // A signed-in confirmation otherwise goes back to the welcome page.
    const other = uniqueEmail('other')
    await post('/account/email', { email: other, password: PASSWORD }, { cookie })
    const path = linkPath(await waitForMail(other, 'Confirm your new email address'))
    const link2 = cookieFrom(await get(path), CONFIRM)!
    const ok = await post('/account/email/confirm', {}, { cookie: `${link2}; ${cookie}` })
    expect(ok.headers.get('Location')).toBe('/welcome')
    expect(await (await get('/welcome', { cookie })).text()).toContain('Welcome')
    expect(cookieFrom(ok, SESSION)).toBeUndefined()
  })

  it('voids links sent to the old address once the change is confirmed', async () => {
    const { email, cookie } = await signedIn()
    await post('/forgot', { email })
    const reset = linkPath(await waitForMail(email, 'Reset your'))
    const next = uniqueEmail('moved')
    await post('/account/email', { email: next, password: PASSWORD }, { cookie })
    const link = cookieFrom(
      await get(linkPath(await waitForMail(next, 'Confirm your new email address'))),
      CONFIRM,
    )!
    expect((await post('/account/email/confirm', {}, { cookie: link })).status).toBe(303)
    const resetCookie = cookieFrom(await get(reset), '__Host-reset')!
    expect((await get('/reset', { cookie: resetCookie })).status).toBe(400)
  })
})
