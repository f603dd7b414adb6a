import { eq } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { KNOWN_BREACHED_PASSPHRASES } from '../../dev/pwned-range-corpus'
import { sessions } from '../../src/core/db/schema'
import {
  cookieFrom,
  db,
  PASSWORD,
  post as plainPost,
  SESSION,
  signedIn,
  uniqueEmail,
  userIdOf,
} from './helpers'
import { get, oidcPerson, oidcSignIn, post } from './provider-flow'

// Both found by review: the "sign in again" link bounced a signed-in browser past its code step,
// and sudo mode spent a recovery code on a change refused for its own reasons.
import { base32Decode, stepOf, totp } from './totp-reference'

const PENDING = '__Host-ch-2fa-pending'

describe('re-authenticating an account without a password that has two-factor on', () => {
  it('the "sign in again" link of Connected accounts reaches the code step while signed in', async () => {
    const email = uniqueEmail('again-2fa')
    const person = oidcPerson(email)
    const first = await oidcSignIn(person)
    const cookie = cookieFrom(first.res, SESSION)!
    const setup = await post('/account/two-factor/setup', { password: '' }, { cookie })
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
    const session = cookieFrom(enabled, SESSION)!
    const userId = await userIdOf(email)
    // The sign-in is now 6 minutes old: sudo mode wants a fresh one.
    await db()
      .update(sessions)
      .set({ createdAt: new Date(Date.now() - 6 * 60 * 1000) })
      .where(eq(sessions.userId, userId))
    const connected = await get('/account/connected', { cookie: session })
    expect(await connected.text()).toContain('confirm it is you by signing in again')
    // Follow that link while signed in, as the page offers it.
    const again = await oidcSignIn(person, { cookie: session, next: '/account/connected' })
    expect(again.res.status).toBe(303)
    const to = again.res.headers.get('Location')!
    expect(to).toMatch(/^\/login\/two-factor/)
    const pending = cookieFrom(again.res, PENDING)!
    expect(pending).toBeDefined()
    // The browser follows with both cookies: the code form should be shown.
    const codePage = await get(to, { cookie: `${session}; ${pending}` })
    expect(codePage.status, `bounced to ${codePage.headers.get('Location')}`).toBe(200)
  })
})

describe('a refused change keeps the second factor given for sudo mode', () => {
  it('a breached new password does not spend the recovery code given for sudo mode', async () => {
    const { cookie } = await signedIn()
    const setup = await plainPost('/account/two-factor/setup', { password: PASSWORD }, { cookie })
    const page = await setup.text()
    const key = base32Decode(/id="totp-key">([A-Z2-7 ]+)</.exec(page)![1]!)
    const enrolment = /name="enrolment" value="([^"]+)"/.exec(page)![1]!
    const step = stepOf(Date.now() / 1000) - 1
    const res = await plainPost(
      '/account/two-factor/enable',
      { enrolment, code: await totp(key, step) },
      { cookie },
    )
    const codes = [...(await res.text()).matchAll(/<li><code>([A-Z0-9-]+)<\/code><\/li>/g)].map(
      (m) => m[1]!,
    )
    const session = cookieFrom(res, SESSION)!
    const refused = await plainPost(
      '/account/password',
      {
        current_password: PASSWORD,
        new_password: KNOWN_BREACHED_PASSPHRASES[0]!,
        second_factor: codes[0]!,
      },
      { cookie: session },
    )
    expect(refused.status).toBe(422)
    expect(await refused.text()).toContain('has appeared in a data breach')
    // Try again with a good password and the same recovery code: nothing was changed, so it should still work.
    const retry = await plainPost(
      '/account/password',
      {
        current_password: PASSWORD,
        new_password: 'a brand new unrelated passphrase 9',
        second_factor: codes[0]!,
      },
      { cookie: session },
    )
    const body = retry.status === 303 ? '' : await retry.text()
    expect(body).not.toContain(
      'Enter a current code from your authenticator app, or a recovery code.',
    )
    expect(retry.status, 'the recovery code was spent by the refused change').toBe(303)
  })
})
