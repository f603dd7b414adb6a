import { afterAll, describe, expect, it } from 'vitest'
import { safeNext, withNext } from '../../src/core/http/next'
import {
  captureLogs,
  cookieFrom,
  FLASH,
  get,
  PASSWORD,
  post,
  SESSION,
  signup,
  uniqueEmail,
} from './helpers'

const logs = captureLogs()
afterAll(() => logs.restore())

// Every open-redirect form we know of (OWASP's Unvalidated Redirects cheat sheet, PortSwigger's
// URL validation bypass list): none may leave this origin, however a browser or an app decodes it.
const HOSTILE: readonly unknown[] = [
  '//evil.example',
  '///evil.example',
  '////evil.example/path',
  '/\\evil.example',
  '\\\\evil.example',
  '/\\/evil.example',
  '\\/evil.example',
  'https://evil.example',
  'HTTPS://evil.example/welcome',
  'http:evil.example',
  'https:/evil.example',
  'javascript:alert(1)',
  'JaVaScRiPt:alert(1)',
  'data:text/html,<script>alert(1)</script>',
  'file:///etc/passwd',
  'evil.example',
  'welcome',
  '',
  ' /welcome',
  '/\t/evil.example',
  '/\n/evil.example',
  '/\r\n/evil.example',
  '/\x00',
  '/\x7f',
  '/%2F%2Fevil.example',
  '/%2f/evil.example',
  '/%5Cevil.example',
  '/%5c%5cevil.example',
  '/%09/evil.example',
  '/%00',
  '/%0d%0aSet-Cookie:%20a=b',
  '/a/..//evil.example',
  '/./..//evil.example',
  '/%2e%2e//evil.example',
  '/\u3000/evil.example',
  '/\uff0fevil.example',
  '/\u2215evil.example',
  '/%E0%A4%A',
  `/${'a'.repeat(1100)}`,
  // Short enough as given, three times NEXT_MAX once the browser's percent-encoding is applied.
  `/${'{'.repeat(1000)}`,
  '%2F%2Fevil.example',
  '/welcome\\@evil.example',
  undefined,
  null,
  42,
  ['/welcome'],
]

describe('safeNext', () => {
  it.each(HOSTILE.map((value) => [JSON.stringify(value)?.slice(0, 60) ?? String(value), value]))(
    'refuses %s',
    (_name, value) => {
      expect(safeNext(value)).toBeUndefined()
    },
  )

  it.each([
    ['/', '/'],
    ['/welcome', '/welcome'],
    ['/app/orders?id=3&sort=new', '/app/orders?id=3&sort=new'],
    ['/app#top', '/app#top'],
    ['/a%20b/%C3%A9', '/a%20b/%C3%A9'],
    ['/a/./b/../c', '/a/c'],
    ['/@evil.example', '/@evil.example'],
  ])('keeps %s as %s', (value, kept) => {
    expect(safeNext(value)).toBe(kept)
  })

  it('adds next to a path, encoded, only when there is one', () => {
    expect(withNext('/signup', undefined)).toBe('/signup')
    expect(withNext('/', '/app?x=1&y=2')).toBe('/?next=%2Fapp%3Fx%3D1%26y%3D2')
    expect(withNext('/?a=1', '/b')).toBe('/?a=1&next=%2Fb')
  })
})

const hidden = (next: string) => `<input type="hidden" name="next" value="${next}"/>`

describe('next through sign-in and signup', () => {
  it('returns to next after signing in, with and without htmx', async () => {
    const email = uniqueEmail()
    await signup({ email })
    const plain = await post('/login', { email, password: PASSWORD, next: '/app/orders?id=3' })
    expect(plain.status).toBe(303)
    expect(plain.headers.get('Location')).toBe('/app/orders?id=3')
    expect(cookieFrom(plain, SESSION)).toBeDefined()
    const htmx = await post('/login', { email, password: PASSWORD, next: '/app' }, { mode: 'htmx' })
    expect(htmx.status).toBe(204)
    // A full page load: next may be a page of the team's own app, not one to swap into this one.
    expect(htmx.headers.get('HX-Redirect')).toBe('/app')
  })

  it('sends a hostile next to the welcome page instead', async () => {
    const email = uniqueEmail()
    await signup({ email })
    for (const next of ['//evil.example', '/\\evil.example', 'https://evil.example']) {
      const res = await post('/login', { email, password: PASSWORD, next })
      expect(res.status).toBe(303)
      expect(res.headers.get('Location')).toBe('/welcome')
    }
  })

  it('takes next from the query string of the form action too', async () => {
    const email = uniqueEmail()
    await signup({ email })
    const res = await post('/login?next=%2Fapp%2Fx', { email, password: PASSWORD })
    expect(res.headers.get('Location')).toBe('/app/x')
  })

  it('puts a checked next in the sign-in form, and nothing for a hostile one', async () => {
    const page = await (await get('/?next=%2Fapp%2Forders%3Fid%3D3')).text()
    expect(page).toContain(hidden('/app/orders?id=3'))
    expect(page).toContain('href="/signup?next=%2Fapp%2Forders%3Fid%3D3"')
    const hostile = await (await get('/?next=%2F%2Fevil.example')).text()
    expect(hostile).not.toContain('name="next"')
    expect(hostile).not.toContain('evil.example')
    // The page cached for everyone stays free of anyone's next.
    expect(await (await get('/')).text()).not.toContain('name="next"')
  })

  it('keeps next across a wrong password and an invalid form', async () => {
    const email = uniqueEmail()
    await signup({ email })
    const wrong = await post('/login', { email, password: 'not the password at all', next: '/app' })
    expect(wrong.status).toBe(400)
    expect(await wrong.text()).toContain(hidden('/app'))
    const invalid = await post('/login', { email: '', password: '', next: '/app' })
    expect(invalid.status).toBe(422)
    expect(await invalid.text()).toContain(hidden('/app'))
    const hostile = await post('/login', { email, password: 'wrong one', next: '//evil.example' })
    expect(await hostile.text()).not.toContain('evil.example')
  })

  it('sends a signed-in visitor of the sign-in page straight to next', async () => {
    const email = uniqueEmail()
    await signup({ email })
    const cookie = cookieFrom(await post('/login', { email, password: PASSWORD }), SESSION)!
    const res = await get('/?next=%2Fapp', { cookie })
    expect(res.status).toBe(303)
    expect(res.headers.get('Location')).toBe('/app')
  })

  it('carries next from signup to sign-in and back to where the person was going', async () => {
    const form = await (await get('/signup?next=%2Fapp')).text()
    expect(form).toContain(hidden('/app'))
    expect(form).toContain('href="/?next=%2Fapp"')
    const email = uniqueEmail()
    const invalid = await post('/signup', {
      username: 'Ada',
      email,
      password: 'short',
      next: '/app',
    })
    expect(invalid.status).toBe(422)
    expect(await invalid.text()).toContain(hidden('/app'))
    const created = await post('/signup', {
      username: 'Ada',
      email,
      password: PASSWORD,
      next: '/app',
    })
    expect(created.status).toBe(303)
    expect(created.headers.get('Location')).toBe('/?next=%2Fapp')
    const flash = cookieFrom(created, FLASH)!
    const signIn = await (await get('/?next=%2Fapp', { cookie: flash })).text()
    expect(signIn).toContain(hidden('/app'))
    const res = await post('/login', { email, password: PASSWORD, next: '/app' })
    expect(res.headers.get('Location')).toBe('/app')
  })
})
