import { eq } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { users } from '../../src/core/db/schema'
import { callApp, cookieFrom, db, FLASH, PASSWORD, SESSION, signup, uniqueEmail } from './helpers'
import { linkPath, settledSubjects, waitForMail } from './mail-outbox'

type Mode = 'off' | 'optional' | 'required'
const VERIFY = '__Host-verify'

function as(mode: Mode) {
  const vars = { EMAIL_VERIFICATION: mode }
  return {
    get: (path: string, cookie?: string) => callApp(path, vars, { cookie }),
    post: (path: string, fields: Record<string, string>, cookie?: string) =>
      callApp(path, vars, { method: 'POST', body: new URLSearchParams(fields), cookie }),
  }
}

async function userRow(email: string) {
  const [row] = await db().select().from(users).where(eq(users.email, email))
  return row
}

/** Opens the newest verification link sent to `email`: returns the cookie now holding its token. */
async function openVerifyLink(app: ReturnType<typeof as>, email: string, nth = 1) {
  const mail = await waitForMail(email, 'Confirm your email address', nth)
  const res = await app.get(linkPath(mail))
  expect(res.status).toBe(303)
  expect(res.headers.get('Location')).toBe('/verify')
  expect(res.headers.get('Referrer-Policy')).toBe('no-referrer')
  return cookieFrom(res, VERIFY)!
}

describe('EMAIL_VERIFICATION=off', () => {
  it('signs up as before and sends nothing', async () => {
    const app = as('off')
    const email = uniqueEmail('off')
    const res = await app.post('/signup', { username: 'Off', email, password: PASSWORD })
    expect(res.status).toBe(303)
    expect(res.headers.get('Location')).toBe('/')
    const login = await app.post('/login', { email, password: PASSWORD })
    const welcome = await app.get('/welcome', cookieFrom(login, SESSION))
    expect(await welcome.text()).not.toContain('not confirmed')
    expect((await app.post('/verify/resend', { email })).status).toBe(303)
    expect(await settledSubjects(email)).toEqual([])
  })
})

describe('EMAIL_VERIFICATION=optional (default)', () => {
  it('signs in at once, nudges on the welcome page, and confirms through the link', async () => {
    const app = as('optional')
    const email = uniqueEmail('optional')
    const res = await app.post('/signup', { username: 'Opt', email, password: PASSWORD })
    expect(res.status).toBe(303)
    expect(res.headers.get('Location')).toBe('/')
    expect(cookieFrom(res, FLASH)).toBeDefined()
    const session = cookieFrom(await app.post('/login', { email, password: PASSWORD }), SESSION)!
    const welcome = await (await app.get('/welcome', session)).text()
    expect(welcome).toContain('not confirmed yet')
    expect(welcome).toContain('action="/verify/resend"')

    // The welcome page's button sends a new link, which replaces the first.
    const resend = await app.post('/verify/resend', {}, session)
    expect(resend.status).toBe(303)
    expect(resend.headers.get('Location')).toBe('/verify/sent')
    const stale = await openVerifyLink(app, email, 1)
    const cookie = await openVerifyLink(app, email, 2)
    expect((await app.get('/verify', stale)).status).toBe(400)

    const page = await app.get('/verify', cookie)
    expect(page.status).toBe(200)
    expect(await page.text()).toContain(email)
    // GET changed nothing (mail scanners open links); the POST does.
    expect((await userRow(email))?.emailVerifiedAt).toBeNull()
    const done = await app.post('/verify', {}, `${cookie}; ${session}`)
    expect(done.status).toBe(303)
    expect(done.headers.get('Location')).toBe('/welcome')
    expect((await userRow(email))?.emailVerifiedAt).toBeInstanceOf(Date)
    expect(await (await app.get('/welcome', session)).text()).not.toContain('not confirmed')
    // Used once.
    expect((await app.post('/verify', {}, cookie)).status).toBe(400)
  })
})

describe('EMAIL_VERIFICATION=required', () => {
  it('answers "check your inbox", refuses sign-in until confirmed, offers to resend', async () => {
    const app = as('required')
    const email = uniqueEmail('required')
    const res = await app.post('/signup', { username: 'Req', email, password: PASSWORD })
    expect(res.status).toBe(303)
    expect(res.headers.get('Location')).toBe('/verify/sent')
    expect(res.headers.getSetCookie()).toEqual([])
    expect(await (await app.get('/verify/sent')).text()).toContain('Check your inbox')

    const refused = await app.post('/login', { email, password: PASSWORD })
    expect(refused.status).toBe(403)
    expect(cookieFrom(refused, SESSION)).toBeUndefined()
    const html = await refused.text()
    expect(html).toContain('not confirmed yet')
    expect(html).toContain(`name="email" value="${email}"`)
    // A wrong password still gets the usual answer, so 403 reveals nothing new.
    expect((await app.post('/login', { email, password: 'wrong but long enough' })).status).toBe(
      400,
    )

    expect((await app.post('/verify/resend', { email })).status).toBe(303)
    const cookie = await openVerifyLink(app, email, 2)
    const done = await app.post('/verify', {}, cookie)
    expect(done.status).toBe(303)
    expect(done.headers.get('Location')).toBe('/')
    const landing = await app.get('/', cookieFrom(done, FLASH))
    expect(await landing.text()).toContain('Your email address is confirmed')
    const login = await app.post('/login', { email, password: PASSWORD })
    expect(login.status).toBe(303)
    expect(login.headers.get('Location')).toBe('/welcome')
  })

  it('answers a taken address exactly like a new one and mails its owner a notice instead', async () => {
    const app = as('required')
    const owner = uniqueEmail('owner')
    await signup({ email: owner })
    const before = await userRow(owner)
    const fresh = uniqueEmail('fresh')
    const a = await app.post('/signup', { username: 'New', email: fresh, password: PASSWORD })
    const b = await app.post('/signup', { username: 'Mallory', email: owner, password: PASSWORD })
    expect(b.status).toBe(a.status)
    expect([...b.headers.entries()]).toEqual([...a.headers.entries()])
    expect(await b.text()).toBe(await a.text())

    const notice = await waitForMail(owner, 'Someone tried to sign up')
    expect(notice.text).not.toContain('Mallory')
    expect(notice.link).toBe('https://edge-auth.test/')
    expect(await settledSubjects(owner)).toEqual([notice.subject])
    await waitForMail(fresh, 'Confirm your email address')
    expect(await userRow(owner)).toEqual(before)
  })

  it('answers a resend for an unknown or confirmed address the same way, sending nothing', async () => {
    const app = as('required')
    const unknown = uniqueEmail('nobody')
    const res = await app.post('/verify/resend', { email: unknown })
    expect(res.status).toBe(303)
    expect(res.headers.get('Location')).toBe('/verify/sent')
    expect(await settledSubjects(unknown)).toEqual([])
  })
})
