import { eq } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { users } from '../../src/core/db/schema'
import { oauthAccounts } from '../../src/features/providers/schema'
import {
  callApp,
  cookieFrom,
  db,
  FLASH,
  PASSWORD,
  SESSION,
  signedIn,
  uniqueEmail,
  userIdOf,
} from './helpers'
import { linkPath, waitForMail } from './mail-outbox'
import { atOidc, get, oidcPerson, oidcSignIn, post, STATE_COOKIE } from './provider-flow'

// Pre-account hijacking (Sudhodanan & Paverd, 2022): someone signs up with another person's
// address, sets a password and connects an identity of their own, then waits for the owner to
// use the account. The owner's first proof of the inbox must leave them no way back in.

const identitiesOf = (userId: number) =>
  db().select().from(oauthAccounts).where(eq(oauthAccounts.userId, userId))

/** The squatter's account: the victim's address, their own password and OIDC identity. */
async function squatted() {
  const { email, cookie } = await signedIn('Mallory')
  const userId = await userIdOf(email)
  const own = oidcPerson(uniqueEmail('mallory-own'), 'Mallory')
  const connect = await post('/account/connected/oidc/connect', { password: PASSWORD }, { cookie })
  const state = cookieFrom(connect, STATE_COOKIE)!
  const go = await get('/login/provider/oidc/go', { cookie: `${cookie}; ${state}` })
  const done = await get(await atOidc(new URL(go.headers.get('Location')!), own), {
    cookie: `${cookie}; ${state}`,
  })
  expect(done.status).toBe(303)
  expect(await identitiesOf(userId)).toHaveLength(1)
  return { email, userId, own, cookie: cookieFrom(done, SESSION)! }
}

/** What the squatter can still do: their session, their password, their identity. */
async function squatterWaysIn(s: Awaited<ReturnType<typeof squatted>>) {
  const session = await get('/account', { cookie: s.cookie })
  const password = await post('/login', { email: s.email, password: PASSWORD })
  const identities = await identitiesOf(s.userId)
  return { session: session.status, password: password.status, identities: identities.length }
}

async function signInByCode(email: string, extraCookie?: string) {
  const asked = await post('/signin/code', { email })
  const challenge = cookieFrom(asked, '__Host-ch-signin-code')!
  const mail = await waitForMail(email, 'Your edge-auth sign-in code')
  const code = /is ([B-Z]{4}-[B-Z]{4})\./.exec(mail.text)![1]!
  const cookie = [challenge, extraCookie].filter(Boolean).join('; ')
  return post('/signin/code/enter', { code }, { cookie })
}

describe('an account whose address was never confirmed, taken by its owner', () => {
  it('by an emailed code: the password, identities and sessions set before all go', async () => {
    const s = await squatted()
    // The owner's provider sign-in is sent to the code (the address has an account here).
    const { res } = await oidcSignIn(oidcPerson(s.email, 'Victim'))
    expect(res.status).toBe(409)
    const entered = await signInByCode(s.email)
    expect(entered.status).toBe(303)
    const session = cookieFrom(entered, SESSION)!
    const told = await get('/welcome', { cookie: `${session}; ${cookieFrom(entered, FLASH)}` })
    expect(await told.text()).toContain('Your address is confirmed.')
    expect(await squatterWaysIn(s)).toEqual({ session: 303, password: 400, identities: 0 })
    const [row] = await db().select().from(users).where(eq(users.id, s.userId))
    expect(row!.pass_word).toBe('')
    expect(row!.emailVerifiedAt).not.toBeNull()
    // The owner is in, and the account page offers to set a password and says what happened.
    const account = await get('/account', { cookie: session })
    expect(account.status).toBe(200)
    const page = await account.text()
    expect(page).toContain('Set a password')
    // The activity row is written after the answer.
    const listed = async () => await (await get('/account', { cookie: session })).text()
    await expect.poll(listed, { timeout: 3000 }).toContain('ways in set up before it were removed')
    // The squatter's identity no longer leads here.
    const theirs = await oidcSignIn(s.own)
    expect(cookieFrom(theirs.res, SESSION)).toBeDefined()
    const elsewhere = await get('/account', { cookie: cookieFrom(theirs.res, SESSION) })
    expect(await elsewhere.text()).not.toContain(s.email)
  })

  it('by a reset link: the identities set before go with the old password', async () => {
    const s = await squatted()
    await post('/forgot', { email: s.email })
    const opened = await get(linkPath(await waitForMail(s.email, 'Reset your edge-auth password')))
    const reset = await post(
      '/reset',
      { password: 'the owner’s own long passphrase' },
      { cookie: cookieFrom(opened, '__Host-reset')! },
    )
    expect(reset.status).toBe(303)
    expect(await squatterWaysIn(s)).toEqual({ session: 303, password: 400, identities: 0 })
  })

  it('a forged "password proved" cookie does not spare the squatter', async () => {
    const s = await squatted()
    const expires = Math.floor(Date.now() / 1000) + 600
    const forged = `__Host-ch-signin-code-pw=${s.userId}.${expires}.${'0'.repeat(64)}`
    expect((await signInByCode(s.email, forged)).status).toBe(303)
    expect(await squatterWaysIn(s)).toEqual({ session: 303, password: 400, identities: 0 })
  })

  it('the confirmation link names the account and offers the owner to take it over', async () => {
    const s = await squatted()
    const resend = { method: 'POST', body: new URLSearchParams(), cookie: s.cookie }
    await callApp('/verify/resend', { EMAIL_VERIFICATION: 'optional' }, resend)
    const mail = await waitForMail(s.email, 'Confirm your email address')
    expect(mail.text).toContain('do not open the link')
    const opened = await get(linkPath(mail))
    const page = await get('/verify', { cookie: cookieFrom(opened, '__Host-verify') })
    const html = await page.text()
    expect(html).toContain('<strong>Mallory</strong>')
    expect(html).toContain('href="/forgot"')
    expect(html).toContain('Take it over with a password reset')
  })

  it('a confirmed account signing in by code keeps its password and identities', async () => {
    const s = await squatted()
    await db().update(users).set({ emailVerifiedAt: new Date() }).where(eq(users.id, s.userId))
    const entered = await signInByCode(s.email)
    expect(entered.status).toBe(303)
    expect((await post('/login', { email: s.email, password: PASSWORD })).status).toBe(303)
    expect(await identitiesOf(s.userId)).toHaveLength(1)
  })
})
