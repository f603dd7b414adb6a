import { inject, describe, expect, it, vi } from 'vitest'
import { KNOWN_BREACHED_PASSPHRASES } from '../../dev/pwned-range-corpus'
import { callApp, post, uniqueEmail } from './helpers'

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
