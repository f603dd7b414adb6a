import { describe, expect, inject, it } from 'vitest'
import { KNOWN_BREACHED_PASSPHRASES } from '../../dev/pwned-range-corpus'

const baseUrl = inject('pwnedUrl')
const LINE = /^[0-9A-F]{35}:\d+$/

async function sha1Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-1', new TextEncoder().encode(text))
  return [...new Uint8Array(digest)]
    .map((b) => b.toString(16).padStart(2, '0'))
    .join('')
    .toUpperCase()
}

describe('the local range API stand-in speaks the Have I Been Pwned interface', () => {
  it('answers SUFFIX:COUNT lines joined by CRLF, with the breached suffix counted', async () => {
    const hash = await sha1Hex(KNOWN_BREACHED_PASSPHRASES[1]!)
    const res = await fetch(`${baseUrl}/range/${hash.slice(0, 5).toLowerCase()}`)
    expect(res.status).toBe(200)
    expect(res.headers.get('Content-Type')).toBe('text/plain')
    const body = await res.text()
    expect(body).not.toMatch(/\r\n$/)
    const lines = body.split('\r\n')
    expect(lines.every((line) => LINE.test(line))).toBe(true)
    expect(lines.every((line) => !line.endsWith(':0'))).toBe(true)
    expect(lines.some((line) => line.startsWith(`${hash.slice(5)}:`))).toBe(true)
  })

  it('pads to 800-1000 lines, sorted, decoys counted 0, when asked', async () => {
    const hash = await sha1Hex(KNOWN_BREACHED_PASSPHRASES[1]!)
    const res = await fetch(`${baseUrl}/range/${hash.slice(0, 5)}`, {
      headers: { 'Add-Padding': 'true' },
    })
    const lines = (await res.text()).split('\r\n')
    expect(lines.length).toBeGreaterThanOrEqual(800)
    expect(lines.length).toBeLessThanOrEqual(1000)
    expect(lines.every((line) => LINE.test(line))).toBe(true)
    expect([...lines].sort()).toEqual(lines)
    expect(lines.filter((line) => !line.endsWith(':0')).map((l) => l.split(':')[0])).toContain(
      hash.slice(5),
    )
  })

  it('refuses a malformed prefix with 400 and unknown paths with 404', async () => {
    for (const prefix of ['ABCD', 'ABCDEF', 'GHIJK', 'ABCDE?x=1']) {
      const res = await fetch(`${baseUrl}/range/${prefix}`)
      expect(res.status, prefix).toBe(400)
      await res.body?.cancel()
    }
    const other = await fetch(`${baseUrl}/breachedaccount/x`)
    expect(other.status).toBe(404)
    await other.body?.cancel()
  })
})
