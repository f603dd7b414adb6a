import { eq } from 'drizzle-orm'
import bcrypt from 'bcryptjs'
import { describe, expect, it } from 'vitest'
import { sha256Hex } from '../../src/core/security/digest'
import { hashPassword } from '../../src/core/passwords/hash'
import { users } from '../../src/core/db/schema'
import {
  callApp,
  cookieFrom,
  db,
  get,
  PASSWORD,
  post,
  SESSION,
  signedIn,
  signup,
  uniqueEmail,
} from './helpers'

describe('POST /login', () => {
  it('answers a wrong password and an unknown email alike: 400 "Invalid credentials"', async () => {
    const email = uniqueEmail()
    await signup({ email })
    const wrong = await post('/login', { email, password: 'not the password at all' })
    const unknown = await post('/login', { email: uniqueEmail(), password: PASSWORD })
    expect(wrong.status).toBe(400)
    expect(unknown.status).toBe(400)
    const [a, b] = [await wrong.text(), await unknown.text()]
    expect(a).toContain('Invalid credentials')
    expect(a.replace(/value="[^"]*"/, '')).toBe(b.replace(/value="[^"]*"/, ''))
    expect(a).toContain(`value="${email}"`)
    expect(wrong.headers.getSetCookie()).toEqual([])
    expect(unknown.headers.getSetCookie()).toEqual([])
  })

  it('never verifies a password past 72 bytes against its truncated prefix', async () => {
    const email = uniqueEmail()
    const password = 'p'.repeat(72)
    await signup({ email, password })
    const longer = await post('/login', { email, password: `${password}extra` })
    expect(longer.status).toBe(400)
  })

  it('signs in with a fresh __Host- session cookie and sends the person to /welcome', async () => {
    const email = uniqueEmail()
    await signup({ email })
    const res = await post('/login', { email: email.toUpperCase(), password: PASSWORD })
    expect(res.status).toBe(303)
    expect(res.headers.get('Location')).toBe('/welcome')
    // The session, and the device cookie that makes this browser known to the account (issue 16).
    const cookies = res.headers.getSetCookie()
    expect(cookies.map((c) => c.split('=')[0])).toEqual(['__Host-session', '__Host-device'])
    const cookie = cookies[0]!
    expect(cookie).toMatch(/^__Host-session=Fe26\.2\*/)
    expect(cookie).toContain('Path=/')
    expect(cookie).toContain('Secure')
    expect(cookie).toContain('HttpOnly')
    expect(cookie).toContain('SameSite=Lax')
    expect(cookie).toContain('Max-Age=2592000')
    expect(cookie).not.toMatch(/Domain=/i)
  })

  it('with htmx, answers 204 and HX-Location to /welcome', async () => {
    const email = uniqueEmail()
    await signup({ email })
    const res = await post('/login', { email, password: PASSWORD }, { mode: 'htmx' })
    expect(res.status).toBe(204)
    expect(JSON.parse(res.headers.get('HX-Location') ?? '{}')).toEqual({ path: '/welcome' })
    expect(cookieFrom(res, SESSION)).toBeDefined()
  })

  it('rotates the session id at login and ends the old session (ASVS 7.2.4)', async () => {
    const first = await signedIn('First')
    const email = uniqueEmail()
    await signup({ username: 'Second', email })
    const res = await post('/login', { email, password: PASSWORD }, { cookie: first.cookie })
    const second = cookieFrom(res, SESSION)
    expect(second).toBeDefined()
    expect(second).not.toBe(first.cookie)
    expect(res.headers.getSetCookie().filter((c) => c.startsWith(SESSION))).toHaveLength(1)
    expect((await get('/welcome', { cookie: first.cookie })).status).toBe(303)
    expect(await (await get('/welcome', { cookie: second })).text()).toContain('Welcome, Second')
  })

  it('answers empty fields with 422 and field messages', async () => {
    const res = await post('/login', { email: '', password: '' }, { mode: 'htmx' })
    expect(res.status).toBe(422)
    const html = await res.text()
    expect(html).toContain('Enter your email address.')
    expect(html).toContain('Enter your password.')
  })

  it('verifies a legacy SHA-256 password once and replaces it with bcrypt', async () => {
    const email = uniqueEmail('legacy')
    await db()
      .insert(users)
      .values({ username: 'Legacy', email, pass_word: await sha256Hex('legacy pass') })
    const res = await post('/login', { email, password: 'legacy pass' })
    expect(res.status).toBe(303)
    const [row] = await db().select().from(users).where(eq(users.email, email))
    expect(row?.pass_word).toMatch(/^\$2b\$04\$/)
    expect((await post('/login', { email, password: 'legacy pass' })).status).toBe(303)
    expect((await post('/login', { email, password: 'wrong' })).status).toBe(400)
  })

  it('rehashes a bcrypt hash below the configured cost at the next login', async () => {
    const email = uniqueEmail('lowcost')
    const password = 'an old low cost passphrase'
    await db()
      .insert(users)
      .values({ username: 'Low', email, pass_word: bcrypt.hashSync(password, 4) })
    const body = new URLSearchParams({ email, password })
    const res = await callApp('/login', { BCRYPT_COST: '5' }, { method: 'POST', body })
    expect(res.status).toBe(303)
    const [row] = await db().select().from(users).where(eq(users.email, email))
    expect(row?.pass_word).toMatch(/^\$2b\$05\$/)
    expect(bcrypt.compareSync(password, row!.pass_word)).toBe(true)
  })
})

describe('accounts adopted with emails that differ only in case', () => {
  it('each signs in with the address exactly as registered', async () => {
    const local = uniqueEmail('ann').split('@')[0]!
    const upper = `${local.toUpperCase()}@Example.com`
    const lower = `${local}@example.com`
    await db()
      .insert(users)
      .values([
        { username: 'Upper', email: upper, pass_word: hashPassword('first long passphrase', 4) },
        { username: 'Lower', email: lower, pass_word: hashPassword('second long passphrase', 4) },
      ])
    const login = (email: string, password: string) => post('/login', { email, password })
    expect((await login(upper, 'first long passphrase')).status).toBe(303)
    expect((await login(lower, 'second long passphrase')).status).toBe(303)
    // Any other spelling normalises to the lower-case account, whose password it must match.
    expect((await login(` ${upper.toLowerCase()} `, 'second long passphrase')).status).toBe(303)
    expect((await login(upper, 'second long passphrase')).status).toBe(400)
  })
})
