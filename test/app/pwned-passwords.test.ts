import fc from 'fast-check'
import { describe, expect, inject, it } from 'vitest'
import { KNOWN_BREACHED_PASSPHRASES, PADDING_DECOYS } from '../../dev/pwned-range-corpus'
import {
  isPwned,
  pwnedUnavailableLogFields,
  type PwnedUnavailableReason,
} from '../../src/core/passwords/breached'

const baseUrl = inject('pwnedUrl')
const options = { baseUrl, timeoutMs: 5000 }

async function sha1Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-1', new TextEncoder().encode(text))
  return [...new Uint8Array(digest)]
    .map((b) => b.toString(16).padStart(2, '0'))
    .join('')
    .toUpperCase()
}

/** What the stand-in received so far (every test file shares it: filter by your own prefix). */
async function standInRequests(): Promise<string[]> {
  return (await fetch(`${baseUrl}/__requests`)).json()
}

const randomPassword = () => `unbreached ${crypto.randomUUID()}`

describe('isPwned against the local range API stand-in (ASVS 6.2.12)', () => {
  it('says true for breached passwords the blocklist lets through, and for blocklisted ones', async () => {
    for (const phrase of KNOWN_BREACHED_PASSPHRASES) {
      expect(await isPwned(phrase, options)).toBe(true)
    }
    expect(await isPwned('password', options)).toBe(true)
  })

  it('says false for a password nobody has used', async () => {
    expect(await isPwned(randomPassword(), options)).toBe(false)
  })

  it('sends only the first 5 hex characters of the SHA-1, asking for padding', async () => {
    const password = randomPassword()
    const hash = await sha1Hex(password)
    expect(await isPwned(password, options)).toBe(false)
    const log = await standInRequests()
    expect(log.filter((line) => line.includes(hash.slice(0, 5)))).toEqual([
      `GET /range/${hash.slice(0, 5)} Add-Padding: true`,
    ])
    expect(log.filter((line) => line.includes(hash.slice(5, 12)))).toEqual([])
    expect(log.filter((line) => line.includes(password))).toEqual([])
  })

  it('ignores count-0 padding lines, even one carrying its own suffix', async () => {
    const decoy = PADDING_DECOYS[0]!
    const hash = await sha1Hex(decoy)
    const res = await fetch(`${baseUrl}/range/${hash.slice(0, 5)}`, {
      headers: { 'Add-Padding': 'true' },
    })
    const lines = (await res.text()).split('\r\n')
    expect(lines).toContain(`${hash.slice(5)}:0`)
    expect(lines.length).toBeGreaterThanOrEqual(800)
    expect(await isPwned(decoy, options)).toBe(false)
  })

  it('checks the NFKC form too: a full-width breached passphrase is breached', async () => {
    const phrase = KNOWN_BREACHED_PASSPHRASES[0]!
    const fullWidth = [...phrase]
      .map((c) => (c === ' ' ? c : String.fromCodePoint(c.codePointAt(0)! + 0xfee0)))
      .join('')
    expect(fullWidth.normalize('NFKC')).toBe(phrase)
    expect(await isPwned(fullWidth, options)).toBe(true)
  })

  it('fails open with "unavailable" when the stand-in is stopped, and says why', async () => {
    const reasons: PwnedUnavailableReason[] = []
    const result = await isPwned(randomPassword(), {
      baseUrl: inject('pwnedStoppedUrl'),
      timeoutMs: 5000,
      onUnavailable: (reason) => reasons.push(reason),
    })
    expect(result).toBe('unavailable')
    expect(reasons).toEqual(['network'])
  })

  it('gives up after timeoutMs when the server never answers', async () => {
    const reasons: PwnedUnavailableReason[] = []
    const result = await isPwned(randomPassword(), {
      baseUrl: inject('pwnedStalledUrl'),
      timeoutMs: 300,
      onUnavailable: (reason) => reasons.push(reason),
    })
    expect(result).toBe('unavailable')
    expect(reasons).toEqual(['timeout'])
  })

  it('treats a non-200 answer or a body that is not range lines as unavailable', async () => {
    const reasons: PwnedUnavailableReason[] = []
    const onUnavailable = (reason: PwnedUnavailableReason) => reasons.push(reason)
    const missing = await isPwned('x', { ...options, baseUrl: `${baseUrl}/missing`, onUnavailable })
    expect(missing).toBe('unavailable')
    // The fetch option (a service binding, say) is used: here it answers with the JSON request log.
    const json: typeof fetch = (_input, init) => fetch(`${baseUrl}/__requests`, init)
    expect(await isPwned('x', { ...options, fetch: json, onUnavailable })).toBe('unavailable')
    expect(reasons).toEqual(['status', 'malformed'])
  })

  it('logs the reason and the host only, never credentials of the URL', () => {
    const fields = pwnedUnavailableLogFields('timeout', 'https://user:s3cret@api.example:8443/x')
    expect(fields).toEqual({ reason: 'timeout', host: 'api.example:8443' })
    expect(pwnedUnavailableLogFields('network', 'not a url')).toEqual({
      reason: 'network',
      host: 'invalid-url',
    })
  })

  it('never throws and answers true or false for any string (lone surrogates included)', async () => {
    const anyString = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 40 }),
      fc
        .array(fc.integer({ min: 0xd800, max: 0xdfff }), { minLength: 1, maxLength: 8 })
        .map((codes) => String.fromCharCode(...codes)),
    )
    await fc.assert(
      fc.asyncProperty(anyString, async (password) => {
        expect(typeof (await isPwned(password, options))).toBe('boolean')
      }),
      { numRuns: 40 },
    )
  })
})
