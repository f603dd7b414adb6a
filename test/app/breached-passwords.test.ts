import { inject, describe, expect, it, vi } from 'vitest'
import { KNOWN_BREACHED_PASSPHRASES } from '../../dev/pwned-range-corpus'
import { callApp, cookieFrom, get, PASSWORD, post, signedIn, signup, uniqueEmail } from './helpers'
import { linkPath, waitForMail } from './mail-outbox'

const breached = KNOWN_BREACHED_PASSPHRASES[0]!

describe('breached passwords at signup (ASVS 6.2.12)', () => {
  it('refuses a password the range API knows, and says why', async () => {
    const res = await post('/signup', { username: 'Bo', email: uniqueEmail(), password: breached })
    expect(res.status).toBe(422)
    expect(await res.text()).toContain('has appeared in a data breach')
  })

  it('fails open with a log line when the range API cannot be reached', async () => {
    const warn = vi.spyOn(console, 'warn')
    const body = new URLSearchParams({ username: 'Bo', email: uniqueEmail(), password: breached })
    const res = await callApp(
      '/signup',
      { PWNED_PASSWORDS_URL: inject('pwnedStoppedUrl') },
      { method: 'POST', body },
    )
    expect(res.status).toBe(303)
    const lines = warn.mock.calls.map((args) => String(args[0]))
    expect(lines.some((l) => l.includes('"event":"pwned_check_unavailable"'))).toBe(true)
    expect(lines.join('\n')).not.toContain(breached)
    warn.mockRestore()
  })
})

describe('breached passwords at every password change (ASVS 6.2.12)', () => {
  it('refuses one as the new password on the account page', async () => {
    const { cookie } = await signedIn()
    const res = await post(
      '/account/password',
      { current_password: PASSWORD, new_password: breached },
      { cookie },
    )
    expect(res.status).toBe(422)
    expect(await res.text()).toContain('has appeared in a data breach')
  })

  it('refuses one through a reset link', async () => {
    const email = uniqueEmail('breach-reset')
    await signup({ email })
    await post('/forgot', { email })
    const landed = await get(linkPath(await waitForMail(email, 'Reset your')))
    const cookie = cookieFrom(landed, '__Host-reset')!
    const res = await post('/reset', { password: breached }, { cookie })
    expect(res.status).toBe(422)
    expect(await res.text()).toContain('has appeared in a data breach')
  })
})
