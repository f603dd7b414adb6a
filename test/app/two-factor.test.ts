import { and, eq } from 'drizzle-orm'
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { sessions, users } from '../../src/core/db/schema'
import { features } from '../../src/features'
import { oneTimeTokens } from '../../src/core/security/tables'
import { recoveryCodes } from '../../src/features/two-factor/schema'
import { countDatabaseCalls, recordDatabaseCalls, roundTrips } from './database-calls'
import {
  callApp,
  captureLogs,
  cookieFrom,
  db,
  get,
  PASSWORD,
  post,
  SESSION,
  signedIn,
  uniqueAddress,
  userIdOf,
} from './helpers'
import { linkPath, waitForMail } from './mail-outbox'
import { base32Decode, hotp, stepOf, totp } from './totp-reference'

const PENDING = '__Host-ch-2fa-pending'
const logs = captureLogs()
afterEach(() => vi.restoreAllMocks())
beforeAll(() => logs.clear())

/** Keeps a flow clear of a 30-second boundary, so the test's step is the Worker's. */
async function awayFromBoundary() {
  const into = (Date.now() / 1000) % 30
  if (into > 26) await new Promise((r) => setTimeout(r, (30 - into + 0.3) * 1000))
}
const nowStep = () => stepOf(Date.now() / 1000)

async function sessionRows(userId: number) {
  return (await db().select().from(sessions).where(eq(sessions.userId, userId))).length
}

function between(html: string, re: RegExp): string {
  const match = re.exec(html)
  if (!match) throw new Error(`not in page: ${re}`)
  return match[1]!
}

/** Signs up, signs in and turns 2FA on through the pages, reading the key as a person would. */
async function enrolled() {
  const { email, cookie } = await signedIn()
  const setup = await post('/account/two-factor/setup', { password: PASSWORD }, { cookie })
  expect(setup.status).toBe(200)
  const page = await setup.text()
  expect(page).toContain('<svg class="qr"')
  const key = base32Decode(between(page, /id="totp-key">([A-Z2-7 ]+)</))
  const enrolment = between(page, /name="enrolment" value="([^"]+)"/)
  await awayFromBoundary()
  // The previous step: the current and next stay free for the sign-ins that follow.
  const step = nowStep() - 1
  const res = await post(
    '/account/two-factor/enable',
    { enrolment, code: await totp(key, step) },
    { cookie },
  )
  expect(res.status).toBe(200)
  const codes = [...(await res.text()).matchAll(/<li><code>([A-Z0-9-]+)<\/code><\/li>/g)].map(
    (m) => m[1]!,
  )
  const session = cookieFrom(res, SESSION)!
  expect(session).toBeDefined()
  return { email, key, codes, session, userId: await userIdOf(email), usedStep: step }
}

async function firstStep(email: string) {
  const res = await post('/login', { email, password: PASSWORD })
  return { res, pending: cookieFrom(res, PENDING) }
}

describe('the test RFC 6238 implementation', () => {
  it('gives the RFC 6238 appendix B SHA-1 vectors', async () => {
    const seed = new Uint8Array(new TextEncoder().encode('12345678901234567890'))
    const vectors: [number, string][] = [
      [59, '94287082'],
      [1111111109, '07081804'],
      [1111111111, '14050471'],
      [1234567890, '89005924'],
      [2000000000, '69279037'],
      [20000000000, '65353130'],
    ]
    for (const [time, code] of vectors) expect(await totp(seed, stepOf(time), 8)).toBe(code)
    // RFC 4226 appendix D, the HOTP values for counters 0 and 9.
    expect(await hotp(seed, 0)).toBe('755224')
    expect(await hotp(seed, 9)).toBe('520489')
  })
})

describe('turning two-factor sign-in on', () => {
  it('shows a QR code and the key, confirms with a code, shows ten codes and mails the owner', async () => {
    const { email, key, codes, session, userId } = await enrolled()
    expect(key.length).toBe(20)
    expect(codes).toHaveLength(10)
    expect(new Set(codes).size).toBe(10)
    for (const code of codes)
      expect(code).toMatch(/^[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4}$/)
    const [row] = await db()
      .select({ totpKey: users.totpKey })
      .from(users)
      .where(eq(users.id, userId))
    // Stored encrypted: neither the raw key's base32 nor anything but a versioned ciphertext.
    expect(row!.totpKey).toMatch(/^1\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]+$/)
    const stored = await db()
      .select({ hash: recoveryCodes.codeHash })
      .from(recoveryCodes)
      .where(eq(recoveryCodes.userId, userId))
    expect(stored).toHaveLength(10)
    for (const code of codes) expect(stored.map((s) => s.hash)).not.toContain(code)
    await waitForMail(email, 'Two-factor sign-in is on')
    const settings = await get('/account/two-factor', { cookie: session })
    expect(await settings.text()).toContain('<strong>10</strong> recovery')
  })

  it('refuses a wrong code and keeps the setup page', async () => {
    const { cookie } = await signedIn()
    const setup = await (
      await post('/account/two-factor/setup', { password: PASSWORD }, { cookie })
    ).text()
    const enrolment = between(setup, /name="enrolment" value="([^"]+)"/)
    const res = await post('/account/two-factor/enable', { enrolment, code: '000000x' }, { cookie })
    expect(res.status).toBe(400)
    expect(await res.text()).toContain('name="enrolment"')
  })

  it('asks for the password first', async () => {
    const { cookie } = await signedIn()
    const res = await post(
      '/account/two-factor/setup',
      { password: 'wrong password here' },
      { cookie },
    )
    expect(res.status).toBe(400)
    expect(await res.text()).not.toContain('totp-key')
  })

  it('an enrolment sealed for one user does not open for another', async () => {
    const a = await signedIn()
    const b = await signedIn()
    const setup = await (
      await post('/account/two-factor/setup', { password: PASSWORD }, { cookie: a.cookie })
    ).text()
    const key = base32Decode(between(setup, /id="totp-key">([A-Z2-7 ]+)</))
    const enrolment = between(setup, /name="enrolment" value="([^"]+)"/)
    const code = await totp(key, nowStep())
    const res = await post('/account/two-factor/enable', { enrolment, code }, { cookie: b.cookie })
    expect(res.status).toBe(400)
    expect(await res.text()).toContain('That setup has expired')
  })
})

describe('signing in with a second factor', () => {
  it('the password alone starts no session: a pending sign-in, then the code', async () => {
    const { email, key } = await enrolled()
    const { res, pending } = await firstStep(email)
    expect(res.status).toBe(303)
    expect(res.headers.get('Location')).toBe('/login/two-factor')
    expect(cookieFrom(res, SESSION)).toBeUndefined()
    expect(pending).toBeDefined()
    const setCookie = res.headers.getSetCookie().find((h) => h.startsWith(PENDING))!
    expect(setCookie).toMatch(/HttpOnly/i)
    expect(setCookie).not.toMatch(/Max-Age/i)
    const page = await get('/login/two-factor', { cookie: pending })
    const html = await page.text()
    expect(html).toContain('autocomplete="one-time-code"')
    expect(html).toContain('inputmode="numeric"')
    expect(html).toContain('href="/login/two-factor/recovery"')
    await awayFromBoundary()
    const done = await post(
      '/login/two-factor',
      { code: await totp(key, nowStep()) },
      { cookie: pending },
    )
    expect(done.status).toBe(303)
    expect(done.headers.get('Location')).toBe('/welcome')
    const session = cookieFrom(done, SESSION)!
    expect((await get('/welcome', { cookie: session })).status).toBe(200)
    // The pending sign-in is spent: the same browser cannot use it again.
    const again = await post(
      '/login/two-factor',
      { code: await totp(key, nowStep() + 1) },
      { cookie: pending },
    )
    expect(again.status).toBe(400)
    expect(cookieFrom(again, SESSION)).toBeUndefined()
  })

  it('with htmx too: HX-Location to the second step, then to /welcome', async () => {
    const { email, key } = await enrolled()
    const first = await post('/login', { email, password: PASSWORD }, { mode: 'htmx' })
    expect(first.status).toBe(204)
    expect(first.headers.get('HX-Location')).toContain('/login/two-factor')
    expect(cookieFrom(first, SESSION)).toBeUndefined()
    const pending = cookieFrom(first, PENDING)
    await awayFromBoundary()
    const done = await post(
      '/login/two-factor',
      { code: await totp(key, nowStep()) },
      { cookie: pending, mode: 'htmx' },
    )
    expect(done.status).toBe(204)
    expect(done.headers.get('HX-Location')).toContain('/welcome')
    expect(cookieFrom(done, SESSION)).toBeDefined()
  })

  it('a code is accepted once: a replay in another sign-in is refused', async () => {
    const { email, key, userId } = await enrolled()
    await awayFromBoundary()
    const code = await totp(key, nowStep())
    const one = await firstStep(email)
    expect((await post('/login/two-factor', { code }, { cookie: one.pending })).status).toBe(303)
    const two = await firstStep(email)
    const before = await sessionRows(userId)
    const replay = await post('/login/two-factor', { code }, { cookie: two.pending })
    expect(replay.status).toBe(400)
    expect(cookieFrom(replay, SESSION)).toBeUndefined()
    // The session inserted beside the losing statement was deleted again: no row, no cookie.
    expect(await sessionRows(userId)).toBe(before)
    // An earlier step than the last used is refused too; a later one works.
    const older = await post(
      '/login/two-factor',
      { code: await totp(key, nowStep() - 1) },
      { cookie: two.pending },
    )
    expect(older.status).toBe(400)
    const later = await post(
      '/login/two-factor',
      { code: await totp(key, nowStep() + 1) },
      { cookie: two.pending },
    )
    expect(later.status).toBe(303)
  })

  it('the code the setup was confirmed with cannot sign in', async () => {
    const { email, key, usedStep } = await enrolled()
    const { pending } = await firstStep(email)
    const res = await post(
      '/login/two-factor',
      { code: await totp(key, usedStep) },
      { cookie: pending },
    )
    expect(res.status).toBe(400)
  })

  it('one code sent in parallel from ten sign-ins gets exactly one session', async () => {
    const { email, key } = await enrolled()
    const pendings = await Promise.all(Array.from({ length: 10 }, () => firstStep(email)))
    await awayFromBoundary()
    const code = await totp(key, nowStep())
    const answers = await Promise.all(
      pendings.map(({ pending }) => post('/login/two-factor', { code }, { cookie: pending })),
    )
    const sessions = answers.filter((r) => cookieFrom(r, SESSION))
    expect(sessions).toHaveLength(1)
    expect(answers.filter((r) => r.status === 303)).toHaveLength(1)
  })

  it('the same pending sign-in submitted twice at once gets one session', async () => {
    const { email, key } = await enrolled()
    const { pending } = await firstStep(email)
    await awayFromBoundary()
    const code = await totp(key, nowStep())
    const answers = await Promise.all([
      post('/login/two-factor', { code }, { cookie: pending }),
      post('/login/two-factor', { code }, { cookie: pending }),
    ])
    expect(answers.filter((r) => cookieFrom(r, SESSION))).toHaveLength(1)
  })

  it('five wrong codes end the pending sign-in: even the right code then needs a new sign-in', async () => {
    const { email, key } = await enrolled()
    const { pending } = await firstStep(email)
    await awayFromBoundary()
    const right = await totp(key, nowStep())
    const wrong = right === '123456' ? '654321' : '123456'
    for (let i = 0; i < 5; i += 1) {
      const res = await post('/login/two-factor', { code: wrong }, { cookie: pending })
      expect(res.status).toBe(400)
      expect(await res.text()).toContain('That code is not right')
    }
    const late = await post('/login/two-factor', { code: right }, { cookie: pending })
    expect(late.status).toBe(400)
    expect(await late.text()).toContain('Sign in again')
    expect(cookieFrom(late, SESSION)).toBeUndefined()
    // A fresh first step still works: slowed at most, never locked out.
    const fresh = await firstStep(email)
    expect(
      (await post('/login/two-factor', { code: right }, { cookie: fresh.pending })).status,
    ).toBe(303)
  })

  it('five tries in parallel on one pending sign-in: never more than five are checked', async () => {
    const { email } = await enrolled()
    const { pending } = await firstStep(email)
    const answers = await Promise.all(
      Array.from({ length: 12 }, () =>
        post('/login/two-factor', { code: '000001' }, { cookie: pending }),
      ),
    )
    const checked = await Promise.all(
      answers.map(async (r) => (await r.text()).includes('That code is not right')),
    )
    expect(checked.filter(Boolean).length).toBeLessThanOrEqual(5)
    // The account's reservation comes first (beside the pending sign-in's read), so a burst past
    // the account's allowance may be slowed (429) before its pending sign-in is even tried.
    expect(answers.every((r) => r.status === 400 || r.status === 429)).toBe(true)
  })

  it('wrong codes across many sign-ins slow the account (429 with Retry-After), never lock it', async () => {
    const { email, userId, key } = await enrolled()
    let throttled: Response | undefined
    for (let i = 0; i < 3 && !throttled; i += 1) {
      const { pending } = await firstStep(email)
      for (let j = 0; j < 5; j += 1) {
        const res = await post('/login/two-factor', { code: '000002' }, { cookie: pending })
        if (res.status === 429) {
          throttled = res
          break
        }
      }
    }
    expect(throttled?.status).toBe(429)
    expect(Number(throttled!.headers.get('Retry-After'))).toBeGreaterThan(0)
    expect(userId).toBeGreaterThan(0)
    expect(key.length).toBe(20)
  })

  it('a code for another account does not pass, and no pending sign-in is needed to be refused', async () => {
    const a = await enrolled()
    const b = await enrolled()
    const { pending } = await firstStep(a.email)
    await awayFromBoundary()
    const res = await post(
      '/login/two-factor',
      { code: await totp(b.key, nowStep()) },
      { cookie: pending },
    )
    // Only a one-in-a-million collision could pass.
    expect(res.status).toBe(400)
    const none = await post('/login/two-factor', { code: '123456' })
    expect(none.status).toBe(400)
    expect(await none.text()).toContain('Sign in again')
  })

  it('malformed codes are refused without a statement', async () => {
    const count = countDatabaseCalls()
    for (const code of ['', '12345', 'abcdef', '1234567', 'x'.repeat(41)]) {
      const res = await callApp(
        '/login/two-factor',
        {},
        { method: 'POST', body: new URLSearchParams({ code }) },
      )
      expect([422, 303]).toContain(res.status)
    }
    expect(count()).toBe(0)
  })
})

describe('recovery codes', () => {
  it('each signs in once, the page counts them, and using one mails the owner', async () => {
    const { email, codes, userId } = await enrolled()
    const first = await firstStep(email)
    const use = await post(
      '/login/two-factor/recovery',
      { code: codes[0]!.toLowerCase() },
      { cookie: first.pending },
    )
    expect(use.status).toBe(303)
    const session = cookieFrom(use, SESSION)!
    await waitForMail(email, 'A recovery code was used')
    const again = await firstStep(email)
    const reuse = await post(
      '/login/two-factor/recovery',
      { code: codes[0]! },
      { cookie: again.pending },
    )
    expect(reuse.status).toBe(400)
    expect(cookieFrom(reuse, SESSION)).toBeUndefined()
    const settings = await (await get('/account/two-factor', { cookie: session })).text()
    expect(settings).toContain('<strong>9</strong> recovery')
    // Down to three: the page warns.
    await db().delete(recoveryCodes).where(eq(recoveryCodes.userId, userId)).limit(6)
    const low = await (await get('/account/two-factor', { cookie: session })).text()
    expect(low).toContain('<strong>3</strong> recovery')
    expect(low).toContain('Few recovery codes are left')
  })

  it('one recovery code sent in parallel signs in once', async () => {
    const { email, codes } = await enrolled()
    const pendings = await Promise.all(Array.from({ length: 6 }, () => firstStep(email)))
    const answers = await Promise.all(
      pendings.map(({ pending }) =>
        post('/login/two-factor/recovery', { code: codes[1]! }, { cookie: pending }),
      ),
    )
    expect(answers.filter((r) => cookieFrom(r, SESSION))).toHaveLength(1)
  })

  it('regenerating (password and a code) replaces them all', async () => {
    const { email, codes, session, key } = await enrolled()
    await awayFromBoundary()
    const refused = await post(
      '/account/two-factor/recovery-codes',
      { password: PASSWORD },
      { cookie: session },
    )
    expect(refused.status).toBe(400)
    expect(await refused.text()).toContain('Enter a current code from your authenticator app')
    const res = await post(
      '/account/two-factor/recovery-codes',
      { password: PASSWORD, second_factor: await totp(key, nowStep()) },
      { cookie: session },
    )
    expect(res.status).toBe(200)
    const fresh = [...(await res.text()).matchAll(/<li><code>([A-Z0-9-]+)<\/code><\/li>/g)].map(
      (m) => m[1]!,
    )
    expect(fresh).toHaveLength(10)
    await waitForMail(email, 'New recovery codes')
    const { pending } = await firstStep(email)
    expect(
      (await post('/login/two-factor/recovery', { code: codes[2]! }, { cookie: pending })).status,
    ).toBe(400)
    expect(
      (await post('/login/two-factor/recovery', { code: fresh[0]! }, { cookie: pending })).status,
    ).toBe(303)
  })
})

describe('turning it off and sudo mode', () => {
  it('needs the password and a code; mails the owner; then the password alone signs in', async () => {
    const { email, codes, session } = await enrolled()
    const noCode = await post(
      '/account/two-factor/disable',
      { password: PASSWORD },
      { cookie: session },
    )
    expect(noCode.status).toBe(400)
    const wrong = await post(
      '/account/two-factor/disable',
      { password: PASSWORD, second_factor: '2222-2222-2222' },
      { cookie: session },
    )
    expect(wrong.status).toBe(400)
    const res = await post(
      '/account/two-factor/disable',
      { password: PASSWORD, second_factor: codes[3]! },
      { cookie: session },
    )
    expect(res.status).toBe(303)
    await waitForMail(email, 'Two-factor sign-in is off')
    const login = await post('/login', { email, password: PASSWORD })
    expect(login.headers.get('Location')).toBe('/welcome')
    expect(cookieFrom(login, SESSION)).toBeDefined()
  })

  it("another feature's sudo form (sign out everywhere else) asks a 2FA account for a code", async () => {
    const { email, session, key, codes } = await enrolled()
    // A second session (through the second step), so the page offers "everywhere else".
    const { pending } = await firstStep(email)
    await post('/login/two-factor/recovery', { code: codes[5]! }, { cookie: pending })
    const form = await (await get('/account/sessions', { cookie: session })).text()
    expect(form).toContain('name="second_factor"')
    const refused = await post(
      '/account/sessions/others',
      { password: PASSWORD },
      { cookie: session },
    )
    expect(refused.status).toBe(400)
    await awayFromBoundary()
    const ok = await post(
      '/account/sessions/others',
      { password: PASSWORD, second_factor: await totp(key, nowStep()) },
      { cookie: session },
    )
    expect(ok.status).toBe(303)
  })

  it('turning it on signs out every other session of the account', async () => {
    const { email, cookie } = await signedIn()
    const other = cookieFrom(await post('/login', { email, password: PASSWORD }), SESSION)!
    const setup = await (
      await post('/account/two-factor/setup', { password: PASSWORD }, { cookie })
    ).text()
    const key = base32Decode(between(setup, /id="totp-key">([A-Z2-7 ]+)</))
    const enrolment = between(setup, /name="enrolment" value="([^"]+)"/)
    await awayFromBoundary()
    const res = await post(
      '/account/two-factor/enable',
      { enrolment, code: await totp(key, nowStep()) },
      { cookie },
    )
    expect(res.status).toBe(200)
    expect((await get('/welcome', { cookie: other })).status).toBe(303)
    expect((await get('/welcome', { cookie: cookieFrom(res, SESSION) })).status).toBe(200)
  })
})

describe('every sign-in method goes through the second step', () => {
  it("no POST route of the feature list starts a session for a 2FA account's password", async () => {
    const { email, codes } = await enrolled()
    const routes = features.flatMap((f) =>
      (f.routes?.routes ?? [])
        .filter((r) => r.method === 'POST')
        .map((r) => ({ feature: f.name, path: r.path })),
    )
    expect(routes.map((r) => r.path)).toContain('/login')
    const fields = { email, password: PASSWORD, username: 'Ada', current_password: PASSWORD }
    const started: string[] = []
    for (const { feature, path } of routes) {
      if (path.includes(':')) continue
      for (const mode of ['plain', 'htmx'] as const) {
        const res = await post(path, fields, { mode })
        if (cookieFrom(res, SESSION)) started.push(`${feature} ${path} (${mode})`)
      }
    }
    expect(started).toEqual([])
    // Only the second step, with a factor, starts one.
    const { pending } = await firstStep(email)
    const done = await post('/login/two-factor/recovery', { code: codes[4]! }, { cookie: pending })
    expect(cookieFrom(done, SESSION)).toBeDefined()
  })
})

describe('a mailed sign-in code is a first step', () => {
  it('with two-factor on, the code is the first step and the second still follows', async () => {
    const { email } = await enrolled()
    const asked = await post('/signin/code', { email })
    const challenge = cookieFrom(asked, '__Host-ch-signin-code')!
    const mail = await waitForMail(email, 'Your edge-auth sign-in code')
    const code = /is ([B-Z]{4}-[B-Z]{4})\./.exec(mail.text)![1]!
    const res = await post('/signin/code/enter', { code }, { cookie: challenge })
    expect(res.status).toBe(303)
    expect(res.headers.get('Location')).toBe('/login/two-factor')
    expect(cookieFrom(res, SESSION)).toBeUndefined()
    expect(cookieFrom(res, PENDING)).toBeDefined()
  })
})

describe('TOTP_ENCRYPTION_KEY', () => {
  const key = 'dGVzdC10b3RwLWtleS10aGF0LWlzLTMyLWJ5dGVzISE'

  it('missing: 2FA cannot be turned on, its accounts get a 503 page at the app code, never a session', async () => {
    const off = { TOTP_ENCRYPTION_KEY: '' }
    const { cookie } = await signedIn()
    const logs = captureLogs()
    const settings = await callApp('/account/two-factor', off, { cookie })
    expect(settings.status).toBe(200)
    expect(await settings.text()).toContain('not available on this server')
    // Caught at configuration, by name, never a value.
    const line = logs.lines().find((l) => l.event === 'config_totp_key')
    expect(line?.message).toBe('TOTP_ENCRYPTION_KEY is not set')
    const setup = await callApp('/account/two-factor/setup', off, {
      method: 'POST',
      body: new URLSearchParams({ password: PASSWORD }),
      cookie,
    })
    expect(setup.status).toBe(200)
    expect(await setup.text()).not.toContain('totp-key')
    // An account that has 2FA: the password step still leaves only a pending sign-in, the app
    // code's step says why it cannot go on, and a recovery code (no key needed) still signs in.
    const { email, key: totpKey, codes } = await enrolled()
    const { pending } = await firstStep(email)
    await awayFromBoundary()
    const code = await totp(totpKey, nowStep())
    const res = await callApp('/login/two-factor', off, {
      method: 'POST',
      body: new URLSearchParams({ code }),
      cookie: pending,
    })
    expect(res.status).toBe(503)
    const page = await res.text()
    expect(page).toContain('cannot be checked on this server right now')
    expect(page).not.toMatch(/at \w+ \(|Error:/)
    expect(cookieFrom(res, SESSION)).toBeUndefined()
    const recovery = await callApp('/login/two-factor/recovery', off, {
      method: 'POST',
      body: new URLSearchParams({ code: codes[0]! }),
      cookie: pending,
    })
    expect(recovery.status).toBe(303)
    expect(cookieFrom(recovery, SESSION)).toBeDefined()
  })

  it('malformed or doubled: logged by name, two-factor unavailable, every other page served', async () => {
    const logs = captureLogs()
    for (const bad of ['short', `1:${key},1:${key}`, `x:${key}`]) {
      logs.clear()
      const env = { TOTP_ENCRYPTION_KEY: bad }
      expect((await callApp('/', env)).status).toBe(200)
      const line = logs.lines().find((l) => l.event === 'config_totp_key')
      expect(line?.level).toBe('error')
      expect(logs.raw()).not.toContain(bad)
      const { cookie } = await signedIn()
      const settings = await callApp('/account/two-factor', env, { cookie })
      expect(await settings.text()).toContain('not available on this server')
    }
    expect((await callApp('/', { TOTP_ENCRYPTION_KEY: `2:${key}, 1:${key}` })).status).toBe(200)
  })

  it('a stored key whose version is no longer configured: 503 and a log line, not a 500', async () => {
    const { email, key: totpKey } = await enrolled()
    const { pending } = await firstStep(email)
    await awayFromBoundary()
    const logs = captureLogs()
    const res = await callApp(
      '/login/two-factor',
      { TOTP_ENCRYPTION_KEY: `7:${key}` },
      {
        method: 'POST',
        body: new URLSearchParams({ code: await totp(totpKey, nowStep()) }),
        cookie: pending,
      },
    )
    expect(res.status).toBe(503)
    expect(logs.lines().some((l) => l.event === 'totp_key_cannot_open')).toBe(true)
  })
  it('in sudo mode, an app code that cannot be checked gets the 503 page; a recovery code works', async () => {
    const { key: totpKey, codes, session } = await enrolled()
    await awayFromBoundary()
    const logs = captureLogs()
    for (const env of [{ TOTP_ENCRYPTION_KEY: '' }, { TOTP_ENCRYPTION_KEY: `7:${key}` }]) {
      const res = await callApp('/account/two-factor/recovery-codes', env, {
        method: 'POST',
        body: new URLSearchParams({
          password: PASSWORD,
          second_factor: await totp(totpKey, nowStep()),
        }),
        cookie: session,
      })
      expect(res.status).toBe(503)
      const page = await res.text()
      expect(page).toContain('cannot be checked on this server right now')
      expect(page).not.toContain('Enter a current code')
    }
    expect(logs.lines().some((l) => l.event === 'totp_key_cannot_open')).toBe(true)
    const recovery = await callApp(
      '/account/two-factor/recovery-codes',
      { TOTP_ENCRYPTION_KEY: `7:${key}` },
      {
        method: 'POST',
        body: new URLSearchParams({ password: PASSWORD, second_factor: codes[0]! }),
        cookie: session,
      },
    )
    expect(recovery.status).toBe(200)
  })
})

describe('a key rotation', () => {
  it('a successful code rewrites the row under the newest key version, in the same statement', async () => {
    const { email, key, userId } = await enrolled()
    const storedKey = async () =>
      (await db().select({ k: users.totpKey }).from(users).where(eq(users.id, userId)))[0]!.k!
    expect(await storedKey()).toMatch(/^1\./)
    const old = 'dGVzdC10b3RwLWtleS10aGF0LWlzLTMyLWJ5dGVzISE'
    const fresh = 'bmV3LXRvdHAta2V5LWFmdGVyLWEtcm90YXRpb24hISE'
    const rotated = { TOTP_ENCRYPTION_KEY: `2:${fresh},1:${old}` }
    const { pending } = await firstStep(email)
    await awayFromBoundary()
    const calls = recordDatabaseCalls()
    const res = await callApp('/login/two-factor', rotated, {
      method: 'POST',
      body: new URLSearchParams({ code: await totp(key, nowStep()) }),
      cookie: pending,
    })
    expect(res.status).toBe(303)
    // No statement more than without the rotation.
    expect(calls.length).toBe(4)
    vi.restoreAllMocks()
    expect(await storedKey()).toMatch(/^2\./)
    // Version 1 can now be dropped: the account signs in under version 2 alone.
    const again = await firstStep(email)
    const later = await callApp(
      '/login/two-factor',
      { TOTP_ENCRYPTION_KEY: `2:${fresh}` },
      {
        method: 'POST',
        body: new URLSearchParams({ code: await totp(key, nowStep() + 1) }),
        cookie: again.pending,
      },
    )
    expect(later.status).toBe(303)
  })
})

describe('a password reset', () => {
  it('signs nobody in and leaves two-factor sign-in on', async () => {
    const { email, key, userId } = await enrolled()
    expect((await post('/forgot', { email })).status).toBe(303)
    const link = await get(linkPath(await waitForMail(email, 'Reset your edge-auth password')))
    const cookie = cookieFrom(link, '__Host-reset')
    const NEW = 'a brand new long passphrase'
    const done = await post('/reset', { password: NEW }, { cookie })
    expect(done.status).toBe(303)
    expect(cookieFrom(done, SESSION)).toBeUndefined()
    const [row] = await db()
      .select({ totpKey: users.totpKey })
      .from(users)
      .where(eq(users.id, userId))
    expect(row!.totpKey).not.toBeNull()
    const login = await post('/login', { email, password: NEW })
    expect(login.headers.get('Location')).toBe('/login/two-factor')
    expect(cookieFrom(login, SESSION)).toBeUndefined()
    await awayFromBoundary()
    const pending = cookieFrom(login, PENDING)
    const code = await totp(key, nowStep())
    expect((await post('/login/two-factor', { code }, { cookie: pending })).status).toBe(303)
  })
})

describe('a login racing a reset', () => {
  it('leaves no pending second step behind: none a stale first step wrote completes', async () => {
    const { email, key, userId } = await enrolled()
    expect((await post('/forgot', { email })).status).toBe(303)
    const link = await get(linkPath(await waitForMail(email, 'Reset your edge-auth password')))
    const resetCookie = cookieFrom(link, '__Host-reset')
    const pendings: string[] = []
    let done = false
    // Login loops with the old password, each from an address of its own: some first step reads
    // the old hash before the reset commits and writes its pending sign-in after.
    const loop = async () => {
      const opts = { headers: { 'CF-Connecting-IP': uniqueAddress() } }
      while (!done) {
        const res = await post('/login', { email, password: PASSWORD }, opts)
        const pending = cookieFrom(res, PENDING)
        if (pending) pendings.push(pending)
        if (res.status === 400) return // the old password no longer works
      }
    }
    const loops = Array.from({ length: 6 }, loop)
    await new Promise((r) => setTimeout(r, 150))
    const reset = await post(
      '/reset',
      { password: 'a brand new long passphrase' },
      { cookie: resetCookie },
    )
    expect(reset.status).toBe(303)
    await new Promise((r) => setTimeout(r, 300))
    done = true
    await Promise.all(loops)
    expect(pendings.length).toBeGreaterThan(0)
    // Whatever the timing, the reset ended every pending sign-in the old password started.
    const live = await db()
      .select({ purpose: oneTimeTokens.purpose })
      .from(oneTimeTokens)
      .where(and(eq(oneTimeTokens.userId, userId), eq(oneTimeTokens.purpose, '2fa-pending')))
    expect(live).toEqual([])
    await awayFromBoundary()
    const code = await totp(key, nowStep())
    for (const pending of pendings) {
      const second = await post('/login/two-factor', { code }, { cookie: pending })
      expect(cookieFrom(second, SESSION)).toBeUndefined()
    }
  })
})

describe('statements', () => {
  it('the second step, and a signed-in page of a 2FA account', async () => {
    const { email, key, session } = await enrolled()
    const { pending } = await firstStep(email)
    await awayFromBoundary()
    const code = await totp(key, nowStep())
    const calls = recordDatabaseCalls()
    const res = await callApp(
      '/login/two-factor',
      {},
      { method: 'POST', body: new URLSearchParams({ code }), cookie: pending },
    )
    expect(res.status).toBe(303)
    // The pending sign-in's read beside the account's reservation; then the one conditional
    // statement (single use, the pending sign-in spent, the count settled) beside the session.
    expect(calls.length).toBe(4)
    expect(roundTrips(calls)).toBe(2)
    vi.restoreAllMocks()
    const count = countDatabaseCalls()
    expect((await callApp('/welcome', {}, { cookie: session })).status).toBe(200)
    expect(count()).toBe(1)
  })

  it('the recovery-code step: the code is spent only after the reservation', async () => {
    const { email, codes } = await enrolled()
    const { pending } = await firstStep(email)
    const calls = recordDatabaseCalls()
    const res = await callApp(
      '/login/two-factor/recovery',
      {},
      { method: 'POST', body: new URLSearchParams({ code: codes[0]! }), cookie: pending },
    )
    expect(res.status).toBe(303)
    // The read beside the account's reservation; the one DELETE of the code, the pending sign-in
    // and the count; then the session's insert: 4, in 3 round trips. The owner's notice counts the
    // codes left (a 5th statement), started after the answer is decided.
    expect(calls.length).toBe(5)
    expect(roundTrips(calls.slice(0, 4))).toBe(3)
  })
})

describe('at the session cap', () => {
  it('a replayed code ends no session; a right one ends only the oldest', async () => {
    const { email, key, userId } = await enrolled()
    const [row] = await db()
      .select({ generation: users.credentialGeneration })
      .from(users)
      .where(eq(users.id, userId))
    const generation = row!.generation
    // Fill the account to 20 sessions, a minute apart, the oldest first.
    await db().delete(sessions).where(eq(sessions.userId, userId))
    const rows = Array.from({ length: 20 }, (_, i) => ({
      idHash: `${'c'.repeat(62)}${String(i).padStart(2, '0')}`,
      userId,
      createdAt: new Date(Date.now() - (21 - i) * 60_000),
      expiresAt: new Date(Date.now() + 3600_000),
      generation,
    }))
    await db().insert(sessions).values(rows)
    await awayFromBoundary()
    const code = await totp(key, nowStep())
    const one = await firstStep(email)
    expect((await post('/login/two-factor', { code }, { cookie: one.pending })).status).toBe(303)
    const after = (await db().select().from(sessions).where(eq(sessions.userId, userId))).map(
      (r) => r.idHash,
    )
    expect(after).toHaveLength(20)
    expect(after).not.toContain(rows[0]!.idHash)
    expect(after).toContain(rows[1]!.idHash)
    // The same code again, at the cap: refused before any session is started or ended.
    const two = await firstStep(email)
    const replay = await post('/login/two-factor', { code }, { cookie: two.pending })
    expect(replay.status).toBe(400)
    const still = (await db().select().from(sessions).where(eq(sessions.userId, userId))).map(
      (r) => r.idHash,
    )
    expect(still.sort()).toEqual(after.sort())
  })
})

describe('next across the second step', () => {
  it('goes from the password to the code page and on to next, kept across a wrong code', async () => {
    const { email, key } = await enrolled()
    const first = await post('/login', { email, password: PASSWORD, next: '/app/orders?id=3' })
    expect(first.status).toBe(303)
    expect(first.headers.get('Location')).toBe('/login/two-factor?next=%2Fapp%2Forders%3Fid%3D3')
    const pending = cookieFrom(first, PENDING)!
    const hidden = '<input type="hidden" name="next" value="/app/orders?id=3"/>'
    const page = await get(first.headers.get('Location')!, { cookie: pending })
    const html = await page.text()
    expect(html).toContain(hidden)
    expect(html).toContain('href="/login/two-factor/recovery?next=%2Fapp%2Forders%3Fid%3D3"')
    await awayFromBoundary()
    const right = await totp(key, nowStep())
    const wrongCode = right === '000000' ? '111111' : '000000'
    const wrong = await post(
      '/login/two-factor',
      { code: wrongCode, next: '/app/orders?id=3' },
      { cookie: pending },
    )
    expect(wrong.status).toBe(400)
    expect(await wrong.text()).toContain(hidden)
    const done = await post(
      '/login/two-factor',
      { code: right, next: '/app/orders?id=3' },
      { cookie: pending },
    )
    expect(done.status).toBe(303)
    expect(done.headers.get('Location')).toBe('/app/orders?id=3')
    expect(cookieFrom(done, SESSION)).toBeDefined()
  })
})
