import { afterAll, describe, expect, it } from 'vitest'
import { callApp, captureLogs, cookieFrom, FLASH, get, PASSWORD, post, SESSION } from './helpers'
import { signup, uniqueEmail } from './helpers'
import { linkPath, waitForMail } from './mail-outbox'

// `next` (issue 22) survives the detours a sign-in can take through the inbox: a password reset
// and confirming the address. A person sent to sign in from /account/sessions lands there.

const logs = captureLogs()
afterAll(() => logs.restore())

const NEXT = '/account/sessions'
const Q = `next=${encodeURIComponent(NEXT)}`
const hidden = (next: string) => `<input type="hidden" name="next" value="${next}"/>`

describe('next through a password reset', () => {
  it('from the sign-in page, through the mail, back to sign in, and on to next', async () => {
    const email = uniqueEmail('next-reset')
    await signup({ email })
    const signIn = await (await get(`/?${Q}`)).text()
    expect(signIn).toContain(`href="/forgot?${Q}"`)
    const forgot = await (await get(`/forgot?${Q}`)).text()
    expect(forgot).toContain(hidden(NEXT))
    expect(forgot).toContain(`href="/?${Q}"`)
    // Kept across an invalid form.
    const invalid = await post('/forgot', { email: 'not an address', next: NEXT })
    expect(invalid.status).toBe(422)
    expect(await invalid.text()).toContain(hidden(NEXT))

    const asked = await post('/forgot', { email, next: NEXT })
    expect(asked.status).toBe(303)
    expect(asked.headers.get('Location')).toBe(`/forgot/sent?${Q}`)
    const sent = await (await get(`/forgot/sent?${Q}`)).text()
    expect(sent).toContain(`href="/forgot?${Q}"`)
    const mail = await waitForMail(email, 'Reset your edge-auth password')
    expect(mail.link).toMatch(new RegExp(`/reset/[^/?]+\\?${Q}$`))

    const landed = await get(linkPath(mail))
    expect(landed.status).toBe(303)
    expect(landed.headers.get('Location')).toBe(`/reset?${Q}`)
    const token = cookieFrom(landed, '__Host-reset')!
    const form = await (await get(`/reset?${Q}`, { cookie: token })).text()
    expect(form).toContain(hidden(NEXT))
    // A refused new password keeps it.
    const weak = await post('/reset', { password: 'short', next: NEXT }, { cookie: token })
    expect(weak.status).toBe(422)
    expect(await weak.text()).toContain(hidden(NEXT))

    const newPassword = 'a brand new long passphrase'
    const reset = await post('/reset', { password: newPassword, next: NEXT }, { cookie: token })
    expect(reset.status).toBe(303)
    expect(reset.headers.get('Location')).toBe(`/?${Q}`)
    const page = await (await get(`/?${Q}`, { cookie: cookieFrom(reset, FLASH) })).text()
    expect(page).toContain('Your password was changed')
    expect(page).toContain(hidden(NEXT))
    const login = await post('/login', { email, password: newPassword, next: NEXT })
    expect(login.status).toBe(303)
    expect(login.headers.get('Location')).toBe(NEXT)
    expect(cookieFrom(login, SESSION)).toBeDefined()
  })

  it('drops a hostile next everywhere on the way', async () => {
    const email = uniqueEmail('next-reset-hostile')
    await signup({ email })
    expect(await (await get('/forgot?next=%2F%2Fevil.example')).text()).not.toContain('evil')
    const asked = await post('/forgot', { email, next: '//evil.example' })
    expect(asked.headers.get('Location')).toBe('/forgot/sent')
    const mail = await waitForMail(email, 'Reset your edge-auth password')
    expect(mail.link).toMatch(/\/reset\/[^/?]+$/)
    const landed = await get(`${linkPath(mail)}?next=https%3A%2F%2Fevil.example`)
    expect(landed.headers.get('Location')).toBe('/reset')
  })
})

describe('next through confirming the address (EMAIL_VERIFICATION=required)', () => {
  const vars = { EMAIL_VERIFICATION: 'required' }
  const app = {
    get: (path: string, cookie?: string) => callApp(path, vars, { cookie }),
    post: (path: string, fields: Record<string, string>, cookie?: string) =>
      callApp(path, vars, { method: 'POST', body: new URLSearchParams(fields), cookie }),
  }

  it('from signup, through the mailed link and sign-in, to next', async () => {
    const email = uniqueEmail('next-verify')
    const created = await app.post('/signup', {
      username: 'Ada',
      email,
      password: PASSWORD,
      next: NEXT,
    })
    expect(created.status).toBe(303)
    expect(created.headers.get('Location')).toBe(`/verify/sent?${Q}`)
    const sent = await (await app.get(`/verify/sent?${Q}`)).text()
    expect(sent).toContain(hidden(NEXT))
    expect(sent).toContain(`href="/?${Q}"`)
    const mail = await waitForMail(email, 'Confirm your email address')
    expect(mail.link).toMatch(new RegExp(`/verify/[^/?]+\\?${Q}$`))
    const landed = await app.get(linkPath(mail))
    expect(landed.headers.get('Location')).toBe(`/verify?${Q}`)
    const token = cookieFrom(landed, '__Host-verify')!
    expect(await (await app.get(`/verify?${Q}`, token)).text()).toContain(hidden(NEXT))
    const confirmed = await app.post('/verify', { next: NEXT }, token)
    expect(confirmed.status).toBe(303)
    expect(confirmed.headers.get('Location')).toBe(`/?${Q}`)
    const login = await app.post('/login', { email, password: PASSWORD, next: NEXT })
    expect(login.headers.get('Location')).toBe(NEXT)
  })

  it('from the "confirm first" answer of a sign-in, through a new link, to next', async () => {
    const email = uniqueEmail('next-verify-resend')
    await app.post('/signup', { username: 'Ada', email, password: PASSWORD })
    await waitForMail(email, 'Confirm your email address')
    const refused = await app.post('/login', { email, password: PASSWORD, next: NEXT })
    expect(refused.status).toBe(403)
    const card = await refused.text()
    expect(card).toContain('action="/verify/resend"')
    expect(card).toContain(hidden(NEXT))
    expect(card).toContain(`href="/?${Q}"`)
    const resent = await app.post('/verify/resend', { email, next: NEXT })
    expect(resent.headers.get('Location')).toBe(`/verify/sent?${Q}`)
    const mail = await waitForMail(email, 'Confirm your email address', 2)
    expect(mail.link).toMatch(new RegExp(`\\?${Q}$`))
    const token = cookieFrom(await app.get(linkPath(mail)), '__Host-verify')!
    // Signed in already (another tab): straight to next, a full page load for htmx.
    const session = cookieFrom(
      await callApp(
        '/login',
        {},
        {
          method: 'POST',
          body: new URLSearchParams({ email, password: PASSWORD }),
        },
      ),
      SESSION,
    )!
    const both = `${token}; ${session}`
    const confirmed = await app.post('/verify', { next: NEXT }, both)
    expect(confirmed.status).toBe(303)
    expect(confirmed.headers.get('Location')).toBe(NEXT)
  })
})
