import { describe, expect, it } from 'vitest'
import { buildMime } from '../../src/core/mail/mime'

const message = (fromName: string) => ({
  from: 'no-reply@example.com',
  fromName,
  to: 'ada@example.com',
  subject: 'Hello',
  text: 'Hi.',
  html: '<p>Hi.</p>',
})

const fromHeader = (raw: string) => /^From: (.*)$/m.exec(raw)![1]!

describe('the From header', () => {
  it('quotes an app name with punctuation, so it reads as one mailbox (RFC 5322 3.2.4)', () => {
    expect(fromHeader(buildMime(message('Acme, Inc.')))).toBe('"Acme, Inc." <no-reply@example.com>')
    expect(fromHeader(buildMime(message('Acme: Login')))).toBe(
      '"Acme: Login" <no-reply@example.com>',
    )
    expect(fromHeader(buildMime(message('Say "hi" \\o/')))).toBe(
      '"Say \\"hi\\" \\\\o/" <no-reply@example.com>',
    )
  })

  it('encodes a name beyond ASCII, and refuses a line break', () => {
    expect(fromHeader(buildMime(message('Zoë')))).toMatch(/^=\?UTF-8\?B\?[A-Za-z0-9+/=]+\?= </)
    expect(() => buildMime(message('Acme\r\nBcc: x@example.com'))).toThrow()
  })
})
