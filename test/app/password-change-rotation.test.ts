import { describe, expect, it } from 'vitest'
import { cookieFrom, PASSWORD, post, SESSION, signedIn } from './helpers'

describe('session rotation at a password change', () => {
  // Rotation starts the new session, trims the user's oldest and ends the old id at once; the trim
  // and the delete lock the same rows in opposite orders and can deadlock (errno 1213) unless the
  // victim is retried.
  it('never fails, however often it runs', async () => {
    let { cookie } = await signedIn()
    const passwords = [PASSWORD, 'another quite long passphrase']
    for (let i = 0; i < 30; i++) {
      const res = await post(
        '/account/password',
        {
          current_password: passwords[i % 2]!,
          new_password: passwords[(i + 1) % 2]!,
        },
        { cookie },
      )
      expect(res.status).toBe(303)
      cookie = cookieFrom(res, SESSION)!
    }
  })
})
