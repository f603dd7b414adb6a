import { afterAll, describe, expect, it } from 'vitest'
import { callApp, captureLogs, cookieFrom, PASSWORD, SESSION, uniqueEmail } from './helpers'
import { waitForMail } from './mail-outbox'

// MOUNT_PATH=/auth: every page, form, link, asset and redirect of the product lives under /auth.

const logs = captureLogs()
afterAll(() => logs.restore())

const MOUNT = { MOUNT_PATH: '/auth' }
const at = (path: string, init: Parameters<typeof callApp>[2] = {}) => callApp(path, MOUNT, init)
const postAt = (path: string, fields: Record<string, string>, init: { cookie?: string } = {}) =>
  at(path, { method: 'POST', body: new URLSearchParams(fields), ...init })

const URL_ATTRIBUTE =
  /\s(href|action|src|hx-get|hx-post|hx-put|hx-patch|hx-delete|data-[a-z-]+(?=="\/))="([^"]*)"/g
const inside = (url: string) => url === '/auth' || /^\/auth[/?]/.test(url)

/** Every URL of the product in a page's markup that is not under /auth. */
function outside(html: string): string[] {
  return [...html.matchAll(URL_ATTRIBUTE)].map((m) => m[2]!).filter((url) => !inside(url))
}

async function signedIn() {
  const email = uniqueEmail('mount')
  const created = await postAt('/auth/signup', { username: 'Ada', email, password: PASSWORD })
  expect(created.status).toBe(303)
  expect(created.headers.get('Location')).toBe('/auth')
  const login = await postAt('/auth/login', { email, password: PASSWORD })
  expect(login.status).toBe(303)
  expect(login.headers.get('Location')).toBe('/auth/welcome')
  return cookieFrom(login, SESSION)!
}

describe('MOUNT_PATH=/auth', () => {
  it('renders every page with no link, form or asset outside /auth', async () => {
    const cookie = await signedIn()
    const anonymous = [
      '/auth',
      '/auth/signup',
      '/auth/forgot',
      '/auth/forgot/sent',
      '/auth/reset',
      '/auth/signin/code',
      '/auth/signin/code/enter',
      '/auth/signin/code/link',
      '/auth/login/two-factor',
    ]
    const personal = [
      '/auth/welcome',
      '/auth/account',
      '/auth/account/username',
      '/auth/account/password',
      '/auth/account/email',
      '/auth/account/sessions',
      '/auth/account/delete',
      '/auth/account/two-factor',
    ]
    const pages = [
      ...anonymous.map((path) => [path, {}] as const),
      ...personal.map((path) => [path, { cookie }] as const),
      ['/auth/no-such-page', {}] as const,
    ]
    for (const [path, init] of pages) {
      for (const mode of [undefined, 'htmx'] as const) {
        const res = await at(path, { ...init, mode })
        expect(res.status, path).toBeLessThan(500)
        const html = await res.text()
        expect(html.length, path).toBeGreaterThan(0)
        expect(outside(html), `${path} ${mode ?? 'page'}`).toEqual([])
        for (const header of ['Location', 'HX-Location']) {
          const value = res.headers.get(header)
          if (value) expect(inside(value.replace(/^\{"path":"([^"]*)".*$/, '$1')), path).toBe(true)
        }
      }
    }
  })

  it('moves redirects, HX-Location and the sign-in with next under /auth', async () => {
    const guarded = await at('/auth/welcome')
    expect(guarded.headers.get('Location')).toBe('/auth')
    const htmx = await at('/auth/welcome', { mode: 'htmx' })
    expect(JSON.parse(htmx.headers.get('HX-Location')!)).toEqual({ path: '/auth' })
    const form = await (await at('/auth?next=%2Fapp')).text()
    expect(form).toContain('href="/auth/signup?next=%2Fapp"')
    expect(form).toContain('action="/auth/login"')
    expect(await (await at('/auth/signup?next=%2Fapp')).text()).toContain(
      'href="/auth?next=%2Fapp"',
    )
    // `next` is a path of the site, not of the product: it is never moved.
    expect(form).toContain('<input type="hidden" name="next" value="/app"/>')
    const email = uniqueEmail('mount-next')
    await postAt('/auth/signup', { username: 'Ada', email, password: PASSWORD, next: '/app' })
    const back = await postAt('/auth/login', { email, password: PASSWORD, next: '/app' })
    expect(back.headers.get('Location')).toBe('/app')
  })

  it('mails links under /auth, and the link lands under /auth', async () => {
    const email = uniqueEmail('mount-mail')
    await postAt('/auth/signup', { username: 'Ada', email, password: PASSWORD })
    const asked = await postAt('/auth/forgot', { email })
    expect(asked.headers.get('Location')).toBe('/auth/forgot/sent')
    const mail = await waitForMail(email, 'Reset your edge-auth password')
    const link = new URL(mail.link!)
    expect(link.pathname).toMatch(/^\/auth\/reset\/[^/]+$/)
    const landed = await at(link.pathname)
    expect(landed.status).toBe(303)
    expect(landed.headers.get('Location')).toBe('/auth/reset')
    expect(mail.text).not.toMatch(/https:\/\/edge-auth\.test\/(?!auth)/)
  })

  it('serves its assets under /auth and answers nothing at the root', async () => {
    const css = await at('/auth/css/app.css')
    expect(css.status).toBe(200)
    expect(css.headers.get('Content-Type')).toContain('text/css')
    expect((await at('/welcome')).status).toBe(404)
    expect((await at('/')).status).toBe(404)
    expect((await at('/auth/')).status).toBe(200)
  })

  it('refuses a MOUNT_PATH that is not one segment', async () => {
    for (const bad of ['auth', '/auth/', '/a/b', '/Auth', '//auth']) {
      expect((await callApp('/', { MOUNT_PATH: bad })).status, bad).toBe(500)
    }
  })
})
