import { countDatabaseCalls } from './database-calls'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { callApp, PASSWORD, signedIn } from './helpers'

let calls = 0

afterEach(() => vi.restoreAllMocks())

const form = (fields: Record<string, string>) => ({
  method: 'POST',
  body: new URLSearchParams(fields),
})

describe('database work of the account pages', () => {
  it('GET /account is one statement: the session read brings the user and the activity', async () => {
    const { cookie } = await signedIn()
    // With the signup's and sign-in's activity lines written (they land after their answers).
    await vi.waitFor(async () => {
      const page = await (await callApp('/account', {}, { cookie })).text()
      expect(page.match(/<li class="event/g)).toHaveLength(2)
    })
    const count = countDatabaseCalls()
    const res = await callApp('/account', {}, { cookie })
    expect(res.status).toBe(200)
    expect(await res.text()).toContain('Signed in with password')
    expect(count()).toBe(1)
  })

  it('GET /account/sessions is two: the session, then the list', async () => {
    const { cookie } = await signedIn()
    const count = countDatabaseCalls()
    const res = await callApp('/account/sessions', {}, { cookie })
    expect(res.status).toBe(200)
    expect(count()).toBe(2)
  })

  it('the form pages cost the session read alone', async () => {
    const { cookie } = await signedIn()
    for (const path of ['/account/username', '/account/password', '/account/delete']) {
      const count = countDatabaseCalls()
      expect((await callApp(path, {}, { cookie })).status).toBe(200)
      expect(count()).toBe(1)
      vi.restoreAllMocks()
    }
  })

  it('a refused form costs nothing past the session read', async () => {
    const { cookie } = await signedIn()
    const count = countDatabaseCalls()
    const res = await callApp('/account/username', {}, { cookie, ...form({ username: '' }) })
    expect(res.status).toBe(422)
    expect(count()).toBe(1)
  })

  it('counts the writes of each action (reported in the README)', async () => {
    const { cookie } = await signedIn()
    let count = countDatabaseCalls()
    let res = await callApp('/account/username', {}, { cookie, ...form({ username: 'Bo' }) })
    expect(res.status).toBe(303)
    // session, update
    expect(count()).toBe(2)
    vi.restoreAllMocks()

    count = countDatabaseCalls()
    res = await callApp('/account/sessions/others', {}, { cookie, ...form({ password: PASSWORD }) })
    expect(res.status).toBe(303)
    // session; pair + subscriber reservations + password hash; the account's reservation; BEGIN,
    // new credential generation, end the others, carry this one over, end pending secrets,
    // COMMIT; settle the three keys
    expect(count()).toBe(12)
    vi.restoreAllMocks()

    count = countDatabaseCalls()
    const newPassword = 'another quite long passphrase'
    res = await callApp(
      '/account/password',
      {},
      { cookie, ...form({ current_password: PASSWORD, new_password: newPassword }) },
    )
    expect(res.status).toBe(303)
    // session; pair + subscriber + hash; account; BEGIN, new hash and generation, every session,
    // every pending secret, COMMIT; settle; then the rotation: insert the new session, trim to
    // the cap, end the old id (already gone)
    expect(count()).toBe(14)
    const rotated = res.headers.getSetCookie().find((h) => h.startsWith('__Host-session='))!
    vi.restoreAllMocks()

    count = countDatabaseCalls()
    res = await callApp(
      '/account/delete',
      {},
      { cookie: rotated.split(';')[0], ...form({ password: newPassword }) },
    )
    expect(res.status).toBe(303)
    // session; pair + subscriber + hash; account; BEGIN, sessions, one-time tokens, recovery codes
    // (the two-factor feature's rows), security events (the activity feature's), passkeys (the
    // passkeys feature's), connected identities (the providers feature's), throttle row, user,
    // COMMIT; settle the three keys
    expect(count()).toBe(16)
  })
})
