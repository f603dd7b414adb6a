import { env } from 'cloudflare:test'
import { and, eq } from 'drizzle-orm'
import { encrypt } from 'hono-sessions'
import { afterEach, beforeAll, describe, expect, inject, it, vi } from 'vitest'
import { sessions, users } from '../../src/core/db/schema'
import { oauthAccounts } from '../../src/features/providers/schema'
import { usernameFrom } from '../../src/features/providers/routes'
import { recordDatabaseCalls, roundTrips } from './database-calls'
import {
  captureLogs,
  cookieFrom,
  db,
  FLASH,
  get as getUnconfigured,
  PASSWORD,
  SESSION,
  signedIn,
  uniqueAddress,
  uniqueEmail,
  userIdOf,
} from './helpers'
import { waitForMail } from './mail-outbox'
import {
  atGitHub,
  atOidc,
  get,
  githubPerson,
  oidcPerson,
  oidcSignIn,
  post,
  PROVIDERS,
  start,
  STATE_COOKIE,
} from './provider-flow'
import { base32Decode, stepOf, totp } from './totp-reference'

const logs = captureLogs()
afterEach(() => vi.restoreAllMocks())
beforeAll(() => logs.clear())

const identitiesOf = (userId: number) =>
  db().select().from(oauthAccounts).where(eq(oauthAccounts.userId, userId))

async function userRow(email: string) {
  const [row] = await db().select().from(users).where(eq(users.email, email))
  return row
}

/** The state cookie cleared by an answer: a Set-Cookie that expires it. */
function clearsState(res: Response) {
  return res.headers
    .getSetCookie()
    .some((h) => h.startsWith(`${STATE_COOKIE}=;`) && /Max-Age=0/i.test(h))
}

describe('the sign-in and signup pages', () => {
  it('offer each configured provider as a plain link, with no statement', async () => {
    const calls = recordDatabaseCalls()
    const res = await get('/')
    const html = await res.text()
    expect(calls).toHaveLength(0)
    expect(html).toContain('href="/login/provider/oidc">Continue with Dev OIDC</a>')
    expect(html).toContain('href="/login/provider/github">Continue with GitHub</a>')
    // Google has no client configured in the tests: no button.
    expect(html).not.toContain('Continue with Google')
    const signup = await (await get('/signup?next=%2Faccount')).text()
    expect(signup).toContain('href="/login/provider/oidc?next=%2Faccount"')
  })

  it('show no provider at all when none is configured', async () => {
    const html = await (await getUnconfigured('/')).text()
    expect(html).toContain('Sign in')
    expect(html).not.toContain('Continue with')
    expect((await getUnconfigured('/login/provider/oidc')).status).toBe(404)
  })

  it('Google appears once its client is configured; a half configuration is refused', async () => {
    const google = { GOOGLE_CLIENT_ID: 'id.apps.googleusercontent.com', GOOGLE_CLIENT_SECRET: 's' }
    const html = await (await get('/', {}, google)).text()
    expect(html).toContain('href="/login/provider/google">Continue with Google</a>')
    // A configuration error is the 500 page, never a half-working provider.
    expect((await get('/', {}, { GOOGLE_CLIENT_ID: 'only-the-id' })).status).toBe(500)
    expect((await get('/', {}, { OIDC_CLIENT_SECRET: '' })).status).toBe(500)
    expect((await get('/', {}, { GITHUB_URL: 'ftp://example.com' })).status).toBe(500)
    expect((await get('/', {}, { PROVIDER_TIMEOUT_MS: '10' })).status).toBe(500)
    // A plain-http issuer only outside production.
    const production = { ENVIRONMENT: 'production', BCRYPT_COST: '10' }
    expect((await get('/', {}, production)).status).toBe(500)
  })

  it('an unknown provider is a 404', async () => {
    expect((await get('/login/provider/nope')).status).toBe(404)
    expect((await get('/login/provider/google')).status).toBe(404)
  })
})

describe('the start', () => {
  it('sends the browser to the provider with PKCE S256, state and nonce in a sealed cookie', async () => {
    const { authorize, state } = await start('oidc')
    expect(authorize.origin).toBe(PROVIDERS.OIDC_ISSUER)
    const q = authorize.searchParams
    expect(q.get('code_challenge_method')).toBe('S256')
    expect(q.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(q.get('state')).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(q.get('nonce')).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(q.get('redirect_uri')).toBe('https://edge-auth.test/login/provider/oidc/callback')
    expect(q.get('scope')).toBe('openid email profile')
    // Sealed: neither the state nor the nonce can be read from the cookie.
    expect(state).not.toContain(q.get('state')!)
    expect(state).not.toContain(q.get('nonce')!)
  })

  it('a next that grows past NEXT_MAX once normalised is dropped, not sealed into a cookie too big', async () => {
    // `{` is percent-encoded in a path: 700 of them are 2,100 characters once resolved, which the
    // state cookie cannot carry (it was 3 KB+, past what the callback accepts).
    const { authorize, state } = await start('oidc', { next: `/${'{'.repeat(700)}` })
    expect(state.length).toBeLessThan(2048)
    const res = await get(await atOidc(authorize, oidcPerson(uniqueEmail('long-next'))), {
      cookie: state,
    })
    expect(res.status).toBe(303)
    expect(res.headers.get('Location')).toBe('/welcome')
  })

  it('under MOUNT_PATH, the buttons, the callback URL and the connect hop move with the product', async () => {
    const mounted = { MOUNT_PATH: '/auth' }
    const html = await (await get('/auth', {}, mounted)).text()
    expect(html).toContain('href="/auth/login/provider/oidc">Continue with Dev OIDC</a>')
    const res = await get('/auth/login/provider/oidc', {}, mounted)
    expect(res.status).toBe(302)
    const redirect = new URL(res.headers.get('Location')!).searchParams.get('redirect_uri')
    expect(redirect).toBe('https://edge-auth.test/auth/login/provider/oidc/callback')
  })

  it('the state cookie is __Host-, HttpOnly, Secure, SameSite=Lax and a session cookie', async () => {
    const res = await get('/login/provider/github')
    const header = res.headers.getSetCookie().find((h) => h.startsWith(`${STATE_COOKIE}=`))!
    expect(header).toMatch(/; Path=\//)
    expect(header).toMatch(/; HttpOnly/)
    expect(header).toMatch(/; Secure/)
    expect(header).toMatch(/; SameSite=Lax/)
    expect(header).not.toMatch(/Max-Age|Expires/)
    const authorize = new URL(res.headers.get('Location')!)
    expect(authorize.pathname).toBe('/login/oauth/authorize')
    expect(authorize.searchParams.get('scope')).toBe('read:user user:email')
  })
})

describe('a first sign-in through the local OpenID provider', () => {
  it('creates an account with a confirmed address and no password, and signs in, in 4 statements and 2 round trips', async () => {
    const email = uniqueEmail('oidc')
    const seen = captureLogs()
    const { authorize, state } = await start('oidc')
    const callback = await atOidc(authorize, oidcPerson(email, 'Ada Test'))
    const calls = recordDatabaseCalls()
    const res = await get(callback, { cookie: state })
    // The identity's read beside the account's conditional insert; the identity's insert beside
    // the session's: the issue's budget of 4 statements in 2 round trips.
    expect(calls.length).toBeLessThanOrEqual(4)
    expect(roundTrips(calls)).toBeLessThanOrEqual(2)
    expect(res.status).toBe(303)
    expect(res.headers.get('Location')).toBe('/welcome')
    expect(cookieFrom(res, SESSION)).toBeDefined()
    expect(clearsState(res)).toBe(true)
    // Audited with the method's name (ASVS 16.3.1); the account was made by it.
    const audited = seen.lines().filter((l) => l.event === 'audit' && l.method === 'oidc')
    expect(audited.map((l) => [l.action, l.outcome])).toEqual([
      ['signup', 'success'],
      ['login', 'success'],
    ])
    vi.restoreAllMocks()
    const row = (await userRow(email))!
    expect(row.username).toBe('Ada Test')
    expect(row.pass_word).toBe('')
    expect(row.emailVerifiedAt).not.toBeNull()
    const ids = await identitiesOf(row.id)
    expect(ids).toHaveLength(1)
    expect(ids[0]!.provider).toBe('oidc')
    expect(ids[0]!.subject).toBe(oidcPerson(email, 'Ada Test'))
    // The password sign-in can never open it (NO_PASSWORD spends the dummy compare).
    expect((await post('/login', { email, password: '' })).status).toBe(422)
    expect((await post('/login', { email, password: PASSWORD })).status).toBe(400)
  })

  it('signs in again to the same account in 4 statements and 2 round trips, carrying next', async () => {
    const email = uniqueEmail('oidc-again')
    const person = oidcPerson(email)
    await oidcSignIn(person)
    const { authorize, state } = await start('oidc', { next: '/account' })
    const callback = await atOidc(authorize, person)
    const calls = recordDatabaseCalls()
    const res = await get(callback, { cookie: state })
    expect(res.status).toBe(303)
    expect(res.headers.get('Location')).toBe('/account')
    expect(calls.length).toBeLessThanOrEqual(4)
    expect(roundTrips(calls)).toBeLessThanOrEqual(2)
    vi.restoreAllMocks()
    const userId = await userIdOf(email)
    expect(await identitiesOf(userId)).toHaveLength(1)
    expect((await identitiesOf(userId))[0]!.lastUsedAt).not.toBeNull()
    const account = await get('/account', { cookie: cookieFrom(res, SESSION) })
    expect(account.status).toBe(200)
  })

  it('refuses an unverified address that no account uses: no account is made', async () => {
    const email = uniqueEmail('oidc-unverified')
    const { res } = await oidcSignIn(oidcPerson(email, 'Linus', false))
    expect(res.status).toBe(400)
    expect(await res.text()).toContain('did not give us a verified email address')
    expect(cookieFrom(res, SESSION)).toBeUndefined()
    expect(await userRow(email)).toBeUndefined()
  })

  it('with EMAIL_VERIFICATION=required, an unverified address reveals no account (ASVS 6.3.8)', async () => {
    // Anyone can put any address, unverified, on an identity of their own at many providers:
    // the answer must be the same whether an account here uses it or not, as signup's is.
    const required = { EMAIL_VERIFICATION: 'required' }
    const { email: taken } = await signedIn('Owner')
    const answers: [number, string][] = []
    for (const email of [taken, uniqueEmail('oidc-unverified-free')]) {
      const { authorize, state } = await start('oidc')
      const callback = await atOidc(authorize, oidcPerson(email, 'Mallory', false))
      const res = await get(callback, { cookie: state }, required)
      expect(cookieFrom(res, SESSION)).toBeUndefined()
      const card = /<section class="card"[\s\S]*?<\/section>/.exec(await res.text())?.[0] ?? ''
      answers.push([res.status, card])
    }
    expect(answers[0]![1]).toContain('did not give us a verified email address')
    expect(answers[0]).toEqual(answers[1])
    expect(await identitiesOf(await userIdOf(taken))).toHaveLength(0)
  })
})

describe('a first sign-in racing another for the same identity', () => {
  /** The driver's call that makes the new account (insertProviderUser). */
  const makesAccount = (init?: RequestInit) =>
    typeof init?.body === 'string' && /insert into `users`[\s\S]*not exists/.test(init.body)

  it('the identity connected between the round trips: the session ends, the new account goes', async () => {
    const email = uniqueEmail('oidc-race')
    const person = oidcPerson(email, 'Racer')
    const winner = await signedIn('Winner')
    const winnerId = await userIdOf(winner.email)
    const { authorize, state } = await start('oidc')
    const callback = await atOidc(authorize, person)
    const seen = captureLogs()
    // After round trip 1 made the account, before round trip 2, the identity is connected to
    // another account (as a parallel connect or sign-in would).
    let madeId = 0
    const real = globalThis.fetch
    // The identity's read runs beside the insert: it must have answered (found nothing) before the
    // identity is connected, or under load it sees the connection and the sign-in rightly goes on.
    let readAnswered: () => void = () => undefined
    const read = new Promise<void>((resolve) => (readAnswered = resolve))
    vi.spyOn(globalThis, 'fetch').mockImplementation(async (input, init) => {
      const res = await real(input, init)
      const text = typeof init?.body === 'string' ? init.body : ''
      if (/from `oauth_accounts` inner join `users`/.test(text)) readAnswered()
      if (!makesAccount(init)) return res
      const body = (await res.clone().json()) as { result?: { insertId?: string } }
      madeId = Number(body.result?.insertId)
      await read
      const now = new Date()
      await db()
        .insert(oauthAccounts)
        .values({ provider: 'oidc', subject: person, userId: winnerId, createdAt: now })
      return res
    })
    const res = await get(callback, { cookie: state })
    vi.restoreAllMocks()
    expect(madeId).toBeGreaterThan(0)
    expect(res.status).toBe(409)
    expect(await res.text()).toContain('connected here by another sign-in at the same moment')
    // The door ended the session it started: no cookie, no row; the state is cleared still.
    expect(cookieFrom(res, SESSION)).toBeUndefined()
    expect(clearsState(res)).toBe(true)
    expect(await db().select().from(sessions).where(eq(sessions.userId, madeId))).toHaveLength(0)
    // The account made in round trip 1 is gone; the identity stays with the winner.
    expect(await userRow(email)).toBeUndefined()
    expect(await identitiesOf(madeId)).toHaveLength(0)
    expect((await identitiesOf(winnerId)).map((i) => i.subject)).toEqual([person])
    const audited = seen.lines().filter((l) => l.event === 'audit' && l.method === 'oidc')
    expect(audited.map((l) => [l.action, l.outcome, l.reason])).toEqual([
      ['login', 'failure', 'identity_taken'],
    ])
    // Signing in again with the identity reaches the account it belongs to.
    const again = await oidcSignIn(person)
    expect(again.res.status).toBe(303)
    const account = await get('/account', { cookie: cookieFrom(again.res, SESSION) })
    expect(await account.text()).toContain(winner.email)
  })

  it('the database failing at the identity insert: the 503 page, no session, the state cleared', async () => {
    const email = uniqueEmail('oidc-identity-down')
    const { authorize, state } = await start('oidc')
    const callback = await atOidc(authorize, oidcPerson(email))
    // Round trip 2's identity insert finds the database gone; the session's insert beside it works.
    const real = globalThis.fetch
    vi.spyOn(globalThis, 'fetch').mockImplementation(async (input, init) => {
      const body = typeof init?.body === 'string' ? init.body : ''
      if (/insert into `oauth_accounts`/.test(body)) {
        return new Response(JSON.stringify({ code: 'unavailable', message: 'down' }), {
          status: 503,
        })
      }
      return real(input, init)
    })
    const res = await get(callback, { cookie: state })
    vi.restoreAllMocks()
    expect(res.status).toBe(503)
    expect(await res.text()).toContain('cannot reach its database')
    expect(cookieFrom(res, SESSION)).toBeUndefined()
    // Every outcome clears the round trip's state, an outage too.
    expect(clearsState(res)).toBe(true)
    // The account made in round trip 1 went with it.
    expect(await userRow(email)).toBeUndefined()
  })

  it('many first sign-ins at once, some for one identity: one account each, no 5xx', async () => {
    const emails = [0, 1, 2, 3].map((i) => uniqueEmail(`oidc-burst-${i}`))
    // Three round trips for the first person (three tabs), one for each of the others.
    const people = [emails[0]!, emails[0]!, emails[0]!, ...emails.slice(1)]
    const callbacks = []
    for (const email of people) {
      const { authorize, state } = await start('oidc')
      callbacks.push({ path: await atOidc(authorize, oidcPerson(email)), state })
    }
    const answers = await Promise.all(callbacks.map((cb) => get(cb.path, { cookie: cb.state })))
    const statuses = answers.map((r) => r.status)
    expect(
      statuses.every((s) => s === 303 || s === 409),
      String(statuses),
    ).toBe(true)
    for (const email of emails) {
      const row = (await userRow(email))!
      expect(row).toBeDefined()
      expect(await identitiesOf(row.id)).toHaveLength(1)
    }
  })

  it('an identity connected but not read with it (connected meanwhile) makes no account', async () => {
    const email = uniqueEmail('oidc-race-read')
    const person = oidcPerson(email)
    const { authorize, state } = await start('oidc')
    const callback = await atOidc(authorize, person)
    // The identity's row without the account the read joins it to: what round trip 1 sees when
    // a parallel sign-in connects it between the read and the insert.
    const now = new Date()
    await db()
      .insert(oauthAccounts)
      .values({ provider: 'oidc', subject: person, userId: 2 ** 40, createdAt: now })
    const calls = recordDatabaseCalls()
    const res = await get(callback, { cookie: state })
    expect(calls).toHaveLength(2)
    vi.restoreAllMocks()
    expect(res.status).toBe(409)
    expect(await res.text()).toContain('connected here by another sign-in at the same moment')
    expect(cookieFrom(res, SESSION)).toBeUndefined()
    expect(await userRow(email)).toBeUndefined()
    await db().delete(oauthAccounts).where(eq(oauthAccounts.subject, person))
  })
})

describe('an address an account already uses', () => {
  it('is never linked automatically; connecting from the account page links it', async () => {
    const { email, cookie } = await signedIn('Owner')
    const person = oidcPerson(email, 'Somebody')
    const { res } = await oidcSignIn(person)
    expect(res.status).toBe(409)
    const page = await res.text()
    expect(page).toContain('You already have an account')
    expect(page).toContain('connect Dev OIDC from your account page')
    expect(cookieFrom(res, SESSION)).toBeUndefined()
    const userId = await userIdOf(email)
    expect(await identitiesOf(userId)).toHaveLength(0)

    // Connect: re-authenticate, then the round trip, in the same session.
    const wrong = await post('/account/connected/oidc/connect', { password: 'nope' }, { cookie })
    expect(wrong.status).toBe(400)
    expect(cookieFrom(wrong, STATE_COOKIE)).toBeUndefined()
    // With htmx, a full navigation (the next hop leaves this origin).
    const htmx = await post(
      '/account/connected/oidc/connect',
      { password: PASSWORD },
      { cookie, mode: 'htmx' },
    )
    expect(htmx.status).toBe(204)
    expect(htmx.headers.get('HX-Redirect')).toBe('/login/provider/oidc/go')
    // Without JavaScript, a page that moves on by itself: a redirect answering the form would
    // reach the provider's origin as the form's answer, which CSP form-action 'self' blocks.
    const ok = await post('/account/connected/oidc/connect', { password: PASSWORD }, { cookie })
    expect(ok.status).toBe(200)
    expect(ok.headers.get('Location')).toBeNull()
    expect(ok.headers.get('Refresh')).toBe('0; url=/login/provider/oidc/go')
    expect(await ok.text()).toContain('href="/login/provider/oidc/go"')
    const state = cookieFrom(ok, STATE_COOKIE)!
    const go = await get('/login/provider/oidc/go', { cookie: `${cookie}; ${state}` })
    expect(go.status).toBe(302)
    const callback = await atOidc(new URL(go.headers.get('Location')!), person)
    const done = await get(callback, { cookie: `${cookie}; ${state}` })
    expect(done.status).toBe(303)
    expect(done.headers.get('Location')).toBe('/account/connected')
    const rotated = cookieFrom(done, SESSION)!
    expect(rotated).toBeDefined()
    expect(await identitiesOf(userId)).toHaveLength(1)
    const mail = await waitForMail(email, 'Dev OIDC was connected')
    expect(mail.text).toContain('/account/connected')
    const list = await get('/account/connected', {
      cookie: `${rotated}; ${cookieFrom(done, FLASH)}`,
    })
    const html = await list.text()
    expect(html).toContain('The account was connected.')
    expect(html).toContain('<strong>Dev OIDC</strong>')
    expect(html).toContain('last used')
    // The identity now signs in to that account.
    const again = await oidcSignIn(person)
    expect(again.res.status).toBe(303)
    const session = await get('/account', { cookie: cookieFrom(again.res, SESSION) })
    expect(await session.text()).toContain(email)
  })

  it('refuses to connect an identity that belongs to another account', async () => {
    const taken = oidcPerson(uniqueEmail('oidc-taken'))
    await oidcSignIn(taken)
    const { email, cookie } = await signedIn()
    const ok = await post('/account/connected/oidc/connect', { password: PASSWORD }, { cookie })
    const state = cookieFrom(ok, STATE_COOKIE)!
    const go = await get('/login/provider/oidc/go', { cookie: `${cookie}; ${state}` })
    const callback = await atOidc(new URL(go.headers.get('Location')!), taken)
    const res = await get(callback, { cookie: `${cookie}; ${state}` })
    expect(res.status).toBe(409)
    expect(await res.text()).toContain('already connected to another account')
    expect(await identitiesOf(await userIdOf(email))).toHaveLength(0)
  })

  it('a connect finishes only in the session that re-authenticated for it', async () => {
    const a = await signedIn()
    const b = await signedIn()
    const ok = await post('/account/connected/oidc/connect', { password: PASSWORD }, a)
    const state = cookieFrom(ok, STATE_COOKIE)!
    const go = await get('/login/provider/oidc/go', { cookie: `${a.cookie}; ${state}` })
    const callback = await atOidc(new URL(go.headers.get('Location')!), oidcPerson(uniqueEmail()))
    const res = await get(callback, { cookie: `${b.cookie}; ${state}` })
    expect(res.status).toBe(400)
    expect(await identitiesOf(await userIdOf(b.email))).toHaveLength(0)
    expect(await identitiesOf(await userIdOf(a.email))).toHaveLength(0)
  })
})

describe('the GitHub path (the stand-in)', () => {
  it('creates an account from the primary verified address and the name', async () => {
    const email = uniqueEmail('gh')
    const person = githubPerson(email, 'Mona Lisa')
    const { authorize, state } = await start('github')
    const res = await get(await atGitHub(authorize, person), { cookie: state })
    expect(res.status).toBe(303)
    expect(cookieFrom(res, SESSION)).toBeDefined()
    const row = (await userRow(email))!
    expect(row.username).toBe('Mona Lisa')
    expect(row.emailVerifiedAt).not.toBeNull()
    const [identity] = await identitiesOf(row.id)
    expect(identity!.subject).toBe(String(person.id))
  })

  it('refuses an unverified primary address', async () => {
    const email = uniqueEmail('gh-unverified')
    const { authorize, state } = await start('github')
    const person = { ...githubPerson(email), verified: false }
    const res = await get(await atGitHub(authorize, person), { cookie: state })
    expect(res.status).toBe(400)
    expect(await userRow(email)).toBeUndefined()
  })

  it("handles GitHub's HTTP-200 token errors, a refusal, a 500 and a slow answer", async () => {
    const cases: [string, number, string][] = [
      ['token_error', 400, 'did not accept this sign-in'],
      ['deny', 400, 'cancelled or refused'],
      ['token_500', 502, 'could not reach GitHub'],
      ['user_500', 502, 'could not reach GitHub'],
      ['slow', 502, 'did not answer in time'],
    ]
    for (const [mode, status, text] of cases) {
      const email = uniqueEmail(`gh-${mode}`)
      const { authorize, state } = await start('github')
      const res = await get(await atGitHub(authorize, githubPerson(email), mode), {
        cookie: state,
      })
      expect(res.status, mode).toBe(status)
      const html = await res.text()
      expect(html, mode).toContain(text)
      expect(html).toContain('Back to sign in')
      expect(cookieFrom(res, SESSION)).toBeUndefined()
      expect(clearsState(res)).toBe(true)
      expect(await userRow(email)).toBeUndefined()
    }
  })

  it('a provider that is down gets a clear page, at the start and at the callback', async () => {
    const down = inject('pwnedStoppedUrl')
    const oidc = await get('/login/provider/oidc', {}, { OIDC_ISSUER: down })
    expect(oidc.status).toBe(502)
    expect(await oidc.text()).toContain('We could not reach Dev OIDC')
    const started = await get('/login/provider/github', {}, { GITHUB_URL: down })
    expect(started.status).toBe(302)
    const state = cookieFrom(started, STATE_COOKIE)!
    const q = new URL(started.headers.get('Location')!).searchParams
    const res = await get(
      `/login/provider/github/callback?code=abc&state=${q.get('state')}`,
      { cookie: state },
      { GITHUB_URL: down },
    )
    expect(res.status).toBe(502)
    expect(await res.text()).toContain('We could not reach GitHub')
  })

  it('a provider that never answers discovery gets the clear page within PROVIDER_TIMEOUT_MS', async () => {
    const started = Date.now()
    const res = await get('/login/provider/oidc', {}, { OIDC_ISSUER: inject('pwnedStalledUrl') })
    expect(res.status).toBe(502)
    expect(await res.text()).toContain('Dev OIDC did not answer in time')
    expect(Date.now() - started).toBeLessThan(10_000)
  })

  it('a provider whose discovery names no authorization endpoint gets the clear page, not a 500', async () => {
    const broken = { OIDC_ISSUER: inject('brokenIssuer') }
    for (let attempt = 0; attempt < 2; attempt++) {
      const res = await get('/login/provider/oidc', {}, broken)
      expect(res.status).toBe(502)
      expect(await res.text()).toContain('We could not reach Dev OIDC')
      expect(cookieFrom(res, STATE_COOKIE)).toBeUndefined()
    }
  })
})

describe('what must not sign in', () => {
  it('a state that is not the one this browser holds', async () => {
    const first = await start('oidc')
    const second = await start('oidc')
    const callback = await atOidc(first.authorize, oidcPerson(uniqueEmail('state')))
    const res = await get(callback, { cookie: second.state })
    expect(res.status).toBe(400)
    expect(await res.text()).toContain('does not belong to the sign-in this browser started')
    expect(cookieFrom(res, SESSION)).toBeUndefined()
  })

  it('an ID token whose nonce is not the one this browser holds', async () => {
    const email = uniqueEmail('nonce')
    const { authorize, state } = await start('oidc')
    authorize.searchParams.set('nonce', 'a-nonce-this-browser-never-had-000000000000')
    const res = await get(await atOidc(authorize, oidcPerson(email)), { cookie: state })
    expect(res.status).toBe(400)
    expect(await res.text()).toContain('could not be verified')
    expect(cookieFrom(res, SESSION)).toBeUndefined()
    expect(await userRow(email)).toBeUndefined()
  })

  it('a callback without the cookie, or with an expired one', async () => {
    const { authorize } = await start('oidc')
    const callback = await atOidc(authorize, oidcPerson(uniqueEmail('nocookie')))
    const none = await get(callback)
    expect(none.status).toBe(400)
    expect(await none.text()).toContain('not started in this browser')
    const q = authorize.searchParams
    const sealed = await encrypt(env.SESSION_SECRET!, {
      p: 'oauth-state',
      provider: 'oidc',
      state: q.get('state'),
      nonce: q.get('nonce'),
      verifier: 'x'.repeat(43),
      mode: 'in',
      issuedAt: Date.now() - 11 * 60 * 1000,
    })
    const expired = await get(callback, { cookie: `${STATE_COOKIE}=${sealed}` })
    expect(expired.status).toBe(400)
    expect(await expired.text()).toContain('took longer than 10 minutes')
  })

  it('a replayed code', async () => {
    const { res, callback, state } = await oidcSignIn(oidcPerson(uniqueEmail('replay')))
    expect(res.status).toBe(303)
    const replay = await get(callback, { cookie: state })
    expect(replay.status).toBe(400)
    expect(await replay.text()).toContain('did not accept this sign-in')
    expect(cookieFrom(replay, SESSION)).toBeUndefined()
  })

  it('a locked account, after the provider proved who it is', async () => {
    const email = uniqueEmail('locked')
    const person = oidcPerson(email)
    await oidcSignIn(person)
    await db().update(users).set({ lockedAt: new Date() }).where(eq(users.email, email))
    const { res } = await oidcSignIn(person)
    expect(res.status).toBe(403)
    expect(await res.text()).toContain('This account is locked')
    expect(cookieFrom(res, SESSION)).toBeUndefined()
  })

  it('failed callbacks from one address are throttled (429)', async () => {
    const address = uniqueAddress()
    const headers = { 'CF-Connecting-IP': address }
    let last: Response | undefined
    for (let i = 0; i < 21; i++) {
      last = await get('/login/provider/oidc/callback?code=x&state=y', { headers })
      if (i < 20) expect(last.status).toBe(400)
    }
    expect(last!.status).toBe(429)
    expect(last!.headers.get('Retry-After')).toMatch(/^\d+$/)
    // Another address is not affected.
    expect((await get('/login/provider/oidc/callback?code=x&state=y')).status).toBe(400)
  })
})

describe('two-factor sign-in after a provider', () => {
  it('an account with a second factor still owes the second step', async () => {
    const email = uniqueEmail('oidc-2fa')
    const person = oidcPerson(email)
    const first = await oidcSignIn(person)
    const cookie = cookieFrom(first.res, SESSION)!
    // No password: the sign-in a moment ago stands in for it (sudo mode).
    const setup = await post('/account/two-factor/setup', { password: 'anything' }, { cookie })
    expect(setup.status).toBe(200)
    const page = await setup.text()
    const key = base32Decode(/id="totp-key">([A-Z2-7 ]+)</.exec(page)![1]!)
    const enrolment = /name="enrolment" value="([^"]+)"/.exec(page)![1]!
    const step = stepOf(Date.now() / 1000) - 1
    const enabled = await post(
      '/account/two-factor/enable',
      { enrolment, code: await totp(key, step) },
      { cookie },
    )
    expect(enabled.status).toBe(200)
    const { res } = await oidcSignIn(person)
    expect(res.status).toBe(303)
    expect(res.headers.get('Location')).toBe('/login/two-factor')
    expect(cookieFrom(res, SESSION)).toBeUndefined()
    expect(cookieFrom(res, '__Host-ch-2fa-pending')).toBeDefined()
  })
})

describe('connected accounts', () => {
  it('refuses to disconnect the last way in; with a password it disconnects and mails', async () => {
    const email = uniqueEmail('last')
    const { res } = await oidcSignIn(oidcPerson(email))
    const cookie = cookieFrom(res, SESSION)!
    const userId = await userIdOf(email)
    const [identity] = await identitiesOf(userId)
    const refused = await post(
      `/account/connected/${identity!.id}/disconnect`,
      { password: '' },
      { cookie },
    )
    expect(refused.status).toBe(409)
    expect(await refused.text()).toContain('This is your only way to sign in')
    expect(await identitiesOf(userId)).toHaveLength(1)

    // A password account with a connected identity may disconnect it.
    const owner = await signedIn()
    const person = githubPerson(owner.email)
    const ok = await post('/account/connected/github/connect', { password: PASSWORD }, owner)
    const state = cookieFrom(ok, STATE_COOKIE)!
    const go = await get('/login/provider/github/go', { cookie: `${owner.cookie}; ${state}` })
    const done = await get(await atGitHub(new URL(go.headers.get('Location')!), person), {
      cookie: `${owner.cookie}; ${state}`,
    })
    expect(done.status).toBe(303)
    const session = cookieFrom(done, SESSION)!
    const ownerId = await userIdOf(owner.email)
    const [connected] = await identitiesOf(ownerId)
    const wrong = await post(
      `/account/connected/${connected!.id}/disconnect`,
      { password: 'wrong' },
      { cookie: session },
    )
    expect(wrong.status).toBe(400)
    const gone = await post(
      `/account/connected/${connected!.id}/disconnect`,
      { password: PASSWORD },
      { cookie: session },
    )
    expect(gone.status).toBe(303)
    expect(await identitiesOf(ownerId)).toHaveLength(0)
    await waitForMail(owner.email, 'GitHub was disconnected')
  })

  it('an account without a password re-authenticates by a recent sign-in only', async () => {
    const email = uniqueEmail('stale')
    const { res } = await oidcSignIn(oidcPerson(email))
    const cookie = cookieFrom(res, SESSION)!
    const userId = await userIdOf(email)
    // The session began 6 minutes ago: no longer a recent sign-in.
    await db()
      .update(sessions)
      .set({ createdAt: new Date(Date.now() - 6 * 60 * 1000) })
      .where(eq(sessions.userId, userId))
    const refused = await post('/account/connected/github/connect', { password: '' }, { cookie })
    expect(refused.status).toBe(400)
    const html = await refused.text()
    expect(html).toContain('Your account has no password')
    expect(html).toContain('href="/login/provider/oidc?next=%2Faccount%2Fconnected"')
    expect(cookieFrom(refused, STATE_COOKIE)).toBeUndefined()
    // Signing in again (while signed in) ends the old session and makes the change possible.
    const again = await oidcSignIn(oidcPerson(email), { cookie, next: '/account/connected' })
    expect(again.res.headers.get('Location')).toBe('/account/connected')
    const fresh = cookieFrom(again.res, SESSION)!
    expect((await get('/account', { cookie })).status).toBe(303)
    const ok = await post('/account/connected/github/connect', { password: '' }, { cookie: fresh })
    expect(ok.status).toBe(200)
    expect(ok.headers.get('Refresh')).toBe('0; url=/login/provider/github/go')
    expect(cookieFrom(ok, STATE_COOKIE)).toBeDefined()
  })

  it('account deletion removes the connected identities', async () => {
    const email = uniqueEmail('deleted')
    const { res } = await oidcSignIn(oidcPerson(email))
    const cookie = cookieFrom(res, SESSION)!
    const userId = await userIdOf(email)
    // No password: the recent sign-in stands in for it.
    const deleted = await post('/account/delete', { password: 'anything' }, { cookie })
    expect(deleted.status).toBe(303)
    expect(deleted.headers.get('Location')).toBe('/signup')
    expect(await userRow(email)).toBeUndefined()
    const rows = await db()
      .select()
      .from(oauthAccounts)
      .where(and(eq(oauthAccounts.userId, userId), eq(oauthAccounts.provider, 'oidc')))
    expect(rows).toHaveLength(0)
  })
})

describe('usernames from providers', () => {
  it('follow the signup rules, falling back to the address', () => {
    expect(usernameFrom('  Ada\u0301 Lovelace ', 'a@x.com')).toBe('Adá Lovelace')
    expect(usernameFrom('\u202Eevil', 'mallory@x.com')).toBe('mallory')
    expect(usernameFrom(undefined, 'grace@x.com')).toBe('grace')
    expect([...usernameFrom('x'.repeat(100), 'a@x.com')]).toHaveLength(64)
  })
})
