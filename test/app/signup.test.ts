import { eq } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { users } from '../../src/core/db/schema'
import { cookieFrom, db, FLASH, get, PASSWORD, post, signup, uniqueEmail } from './helpers'

describe('POST /signup', () => {
  it('creates the user with a bcrypt hash and lands on login with a notice and the email', async () => {
    const email = uniqueEmail()
    const res = await post('/signup', {
      username: ' Ada ',
      email: `  ${email.toUpperCase()} `,
      password: PASSWORD,
    })
    expect(res.status).toBe(303)
    expect(res.headers.get('Location')).toBe('/')
    const flash = cookieFrom(res, FLASH)
    expect(flash).toBeDefined()

    const [row] = await db().select().from(users).where(eq(users.email, email))
    expect(row?.username).toBe('Ada')
    expect(row?.pass_word).toMatch(/^\$2b\$04\$/)
    expect(row?.pass_word).not.toContain(PASSWORD)

    const login = await get('/', { cookie: flash })
    const html = await login.text()
    expect(html).toContain('Account created')
    expect(html).toContain(`value="${email}"`)
    // The notice is shown once.
    expect(login.headers.getSetCookie().some((h) => h.startsWith(`${FLASH}=;`))).toBe(true)
  })

  it('with htmx, answers 204 and HX-Location instead of a redirect fetch would follow', async () => {
    const res = await post(
      '/signup',
      { username: 'Bo', email: uniqueEmail(), password: PASSWORD },
      { mode: 'htmx' },
    )
    expect(res.status).toBe(204)
    expect(JSON.parse(res.headers.get('HX-Location') ?? '{}')).toEqual({ path: '/' })
    expect(res.headers.get('Location')).toBeNull()
  })

  it('refuses a taken email with 409, whatever its case or surrounding spaces', async () => {
    const email = uniqueEmail()
    await signup({ email })
    const res = await post('/signup', {
      username: 'Other',
      email: ` ${email.toUpperCase()}`,
      password: PASSWORD,
    })
    expect(res.status).toBe(409)
    const html = await res.text()
    expect(html).toContain('An account with this email already exists')
    expect(html).toContain('value="Other"')
    expect(html).not.toContain(PASSWORD)
  })

  it('keeps accented emails distinct from unaccented ones (utf8mb4_bin)', async () => {
    const tag = uniqueEmail('accent').split('@')[0]
    await signup({ email: `${tag}-e@example.com` })
    const res = await post('/signup', {
      username: 'E',
      email: `${tag}-é@example.com`,
      password: PASSWORD,
    })
    expect(res.status).toBe(303)
  })

  it('answers each invalid field with 422, a message next to it, and the other values kept', async () => {
    const res = await post(
      '/signup',
      { username: '', email: 'not-an-email', password: 'short' },
      { mode: 'htmx' },
    )
    expect(res.status).toBe(422)
    const html = await res.text()
    expect(html).not.toContain('<html')
    expect(html).toContain('id="field-username-error">Choose a username.')
    expect(html).toContain('id="field-email-error">Enter an email like name@example.com.')
    expect(html).toContain('id="field-password-error">Use at least 15 characters (you have 5).')
    expect(html).toContain('value="not-an-email"')
    expect(html).not.toContain('value="short"')
    expect(html).toContain('aria-invalid="true"')
  })

  it('refuses passwords over 72 UTF-8 bytes and says so, instead of truncating', async () => {
    const password = 'é'.repeat(40) // 40 characters, 80 bytes
    const res = await post('/signup', { username: 'Long', email: uniqueEmail(), password })
    expect(res.status).toBe(422)
    expect(await res.text()).toContain('Use at most 72 bytes: this password is 80 bytes in UTF-8')
  })

  it('accepts a 72-byte password and 64 characters (ASVS 6.2.9)', async () => {
    const email = uniqueEmail()
    const password = 'x'.repeat(8) + ' correct horse battery staple ' + 'y'.repeat(34) // 72 bytes
    expect(password.length).toBe(72)
    await signup({ email, password })
    const login = await post('/login', { email, password })
    expect(login.status).toBe(303)
  })

  it('refuses common passwords and ones that contain the username', async () => {
    const common = await post('/signup', {
      username: 'C',
      email: uniqueEmail(),
      password: 'passwordpassword',
    })
    expect(common.status).toBe(422)
    expect(await common.text()).toContain('too common')
    const own = await post('/signup', {
      username: 'margaret',
      email: uniqueEmail(),
      password: 'margaret-is-my-name-here',
    })
    expect(own.status).toBe(422)
    expect(await own.text()).toContain('Do not use your username or email')
  })

  it('refuses usernames with control characters and over 64 characters', async () => {
    const ctrl = await post('/signup', {
      username: 'a\u0000b',
      email: uniqueEmail(),
      password: PASSWORD,
    })
    expect(ctrl.status).toBe(422)
    const long = await post('/signup', {
      username: 'n'.repeat(65),
      email: uniqueEmail(),
      password: PASSWORD,
    })
    expect(long.status).toBe(422)
    expect(await long.text()).toContain('Use at most 64 characters.')
  })

  it('treats a missing field as empty', async () => {
    const res = await post('/signup', { email: uniqueEmail(), password: PASSWORD })
    expect(res.status).toBe(422)
    expect(await res.text()).toContain('Choose a username.')
  })

  it('accepts emoji joined by zero-width joiners, and refuses stray format characters', async () => {
    const ok = await post('/signup', {
      username: 'Ada 👩🏽‍💻',
      email: uniqueEmail(),
      password: PASSWORD,
    })
    expect(ok.status).toBe(303)
    for (const username of ['a\u200D', '\u200Db', 'x\u202Ey', 'a\u2066b', 'soft\u00ADhyphen']) {
      const res = await post('/signup', { username, email: uniqueEmail(), password: PASSWORD })
      expect(res.status).toBe(422)
      expect(await res.text()).toContain('Use visible characters only.')
    }
  })
})
