import { recordDatabaseCalls, roundTrips } from './database-calls'
import { createExecutionContext, env, waitOnExecutionContext } from 'cloudflare:test'
import { afterEach, describe, expect, it, vi } from 'vitest'
import {
  cookieFrom,
  get,
  ORIGIN,
  PASSWORD,
  post,
  signedIn,
  signup,
  uniqueAddress,
  uniqueEmail,
} from './helpers'
import { linkPath, waitForMail } from './mail-outbox'

/**
 * Runs one request through the Worker and counts the driver's HTTP calls (one per statement):
 * those made before the answer, and all of them once the work left in waitUntil has finished;
 * round trips as in database-calls.test.ts (calls made together count once).
 */
async function measure(
  path: string,
  opts: { fields?: Record<string, string>; cookie?: string; vars?: Record<string, string> } = {},
) {
  const calls = recordDatabaseCalls()
  const { default: worker } = await import('../../src/index')
  const headers = new Headers({ 'CF-Connecting-IP': uniqueAddress() })
  if (opts.cookie) headers.set('Cookie', opts.cookie)
  let init: RequestInit = { headers, redirect: 'manual' }
  if (opts.fields) {
    headers.set('Origin', ORIGIN)
    headers.set('Content-Type', 'application/x-www-form-urlencoded')
    init = { ...init, method: 'POST', body: new URLSearchParams(opts.fields) }
  }
  const ctx = createExecutionContext()
  const res = await worker.fetch(
    new Request(`${ORIGIN}${path}`, init),
    { ...env, ...opts.vars },
    ctx,
  )
  const answered = [...calls]
  await waitOnExecutionContext(ctx)
  vi.restoreAllMocks()
  return {
    status: res.status,
    onPath: answered.length,
    onPathTrips: roundTrips(answered),
    total: calls.length,
    totalTrips: roundTrips(calls),
  }
}

afterEach(() => vi.restoreAllMocks())

async function resetCookie(email: string) {
  await post('/forgot', { email })
  const path = linkPath(await waitForMail(email, 'Reset your'))
  return cookieFrom(await get(path), '__Host-reset')!
}

describe('database work of the mail routes', () => {
  it('POST /forgot: nothing before the answer, known or not; the rest after it', async () => {
    const email = uniqueEmail()
    await signup({ email })
    const known = await measure('/forgot', { fields: { email } })
    // The client's mail limit + find the user; then the recipient's from this client, then its
    // overall one (only for an account, each only once the one before allowed it); the token.
    expect(known).toEqual({ status: 303, onPath: 0, onPathTrips: 0, total: 5, totalTrips: 4 })
    const unknown = await measure('/forgot', { fields: { email: uniqueEmail('none') } })
    expect(unknown).toEqual({ status: 303, onPath: 0, onPathTrips: 0, total: 2, totalTrips: 1 })
  })

  it('a wrong password and an unknown address answer after the same statements (ASVS 6.3.8)', async () => {
    const email = uniqueEmail()
    await signup({ email })
    const wrong = await measure('/login', {
      fields: { email, password: 'not the password at all' },
    })
    const unknown = await measure('/login', {
      fields: { email: uniqueEmail('nobody'), password: 'not the password at all' },
    })
    expect(wrong.status).toBe(400)
    expect(unknown.status).toBe(400)
    expect({ onPath: wrong.onPath, trips: wrong.onPathTrips }).toEqual({
      onPath: unknown.onPath,
      trips: unknown.onPathTrips,
    })
    // The run of failures is counted after the answer.
    expect(wrong.total).toBe(wrong.onPath + 1)
  })

  it('the reset link: GET /reset/:token none, GET /reset one read, POST /reset eight statements', async () => {
    const email = uniqueEmail()
    await signup({ email })
    const cookie = await resetCookie(email)
    expect((await measure('/reset/abcdefghijklmnopqrstuvwxyz234567')).total).toBe(0)
    expect(await measure('/reset', { cookie })).toMatchObject({ status: 200, total: 1 })
    // Read the token + user; spend it; then one transaction (BEGIN, the hash with a new credential
    // generation, every session, every other secret, the account's throttle row, COMMIT), and for
    // an address not confirmed before, each feature's ways in (passkeys, identities: 2 more).
    const done = await measure('/reset', { cookie, fields: { password: 'a brand new passphrase' } })
    expect(done).toEqual({ status: 303, onPath: 10, onPathTrips: 10, total: 10, totalTrips: 10 })
  })

  it('POST /signup with EMAIL_VERIFICATION=optional: as before, plus the link after the answer', async () => {
    const fields = { username: 'Counted', email: uniqueEmail(), password: PASSWORD }
    const res = await measure('/signup', { fields, vars: { EMAIL_VERIFICATION: 'optional' } })
    // Reserve + look up, insert; then the client's mail limit, the recipient's two, the token.
    expect(res).toEqual({ status: 303, onPath: 3, onPathTrips: 2, total: 7, totalTrips: 6 })
  })

  it('POST /verify: read, spend, mark confirmed', async () => {
    const vars = { EMAIL_VERIFICATION: 'optional' }
    const email = uniqueEmail()
    await measure('/signup', { fields: { username: 'V', email, password: PASSWORD }, vars })
    const path = linkPath(await waitForMail(email, 'Confirm your email address'))
    const cookie = cookieFrom(await get(path), '__Host-verify')!
    const res = await measure('/verify', { cookie, fields: {}, vars })
    expect(res).toEqual({ status: 303, onPath: 3, onPathTrips: 3, total: 3, totalTrips: 3 })
  })

  it('POST /account/email: session, reserve + user, settle; then lookup + limits, token', async () => {
    const { cookie } = await signedIn()
    const fields = { email: uniqueEmail('to'), password: PASSWORD }
    const res = await measure('/account/email', { cookie, fields })
    expect(res).toMatchObject({ status: 303, onPath: 6, total: 11 })
    // Three round trips by design; the count is read from timings, and on a loaded machine a call
    // of one trip can start after another has answered, which reads as one more.
    expect(res.onPathTrips).toBeGreaterThanOrEqual(3)
    expect(res.onPathTrips).toBeLessThanOrEqual(4)
    expect(res.totalTrips).toBeLessThanOrEqual(8)
  })
})
