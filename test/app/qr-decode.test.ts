import jsQR from 'jsqr'
import { encode } from 'uqr'
import { describe, expect, it } from 'vitest'
import { qrMatrix } from '../../src/features/two-factor/qr'
import { cookieFrom, PASSWORD, post, SESSION, signedIn } from './helpers'

// The QR code is drawn by the project's own encoder (src/features/two-factor/qr.tsx): these tests
// read it back with a real decoder, jsQR, from pixels, as a phone's camera would.

const SCALE = 4

/** RGBA pixels of a module matrix (dark = black), `SCALE` pixels a module, with its quiet zone. */
function pixels(dark: (x: number, y: number) => boolean, modules: number) {
  const side = modules * SCALE
  const rgba = new Uint8ClampedArray(side * side * 4).fill(255)
  for (let py = 0; py < side; py++) {
    for (let px = 0; px < side; px++) {
      if (!dark(Math.floor(px / SCALE), Math.floor(py / SCALE))) continue
      rgba.fill(0, (py * side + px) * 4, (py * side + px) * 4 + 3)
    }
  }
  return { rgba, side }
}

function decode(dark: (x: number, y: number) => boolean, modules: number) {
  const { rgba, side } = pixels(dark, modules)
  return jsQR(rgba, side, side, { inversionAttempts: 'dontInvert' })
}

/** The dark modules of the page's SVG: its path is runs `M x y h n v1 h-n z` on a viewBox grid. */
function svgModules(svg: string) {
  const size = Number(/viewBox="0 0 (\d+) \1"/.exec(svg)![1])
  const path = /<path d="([^"]*)"/.exec(svg)![1]!
  const dark = new Set<string>()
  for (const [, x, y, n] of path.matchAll(/M(\d+) (\d+)h(\d+)v1h-\3z/g)) {
    for (let i = 0; i < Number(n); i++) dark.add(`${Number(x) + i},${y}`)
  }
  // Every drawing command was understood: nothing in the path is left over.
  expect(path.replace(/M(\d+) (\d+)h(\d+)v1h-\3z/g, '')).toBe('')
  return { size, dark: (x: number, y: number) => dark.has(`${x},${y}`) }
}

describe('the setup page QR code', () => {
  it('decodes to exactly the otpauth:// URI of the key the page shows as text', async () => {
    const { email, cookie } = await signedIn()
    const setup = await post('/account/two-factor/setup', { password: PASSWORD }, { cookie })
    expect(setup.status).toBe(200)
    expect(cookieFrom(setup, SESSION)).toBeUndefined()
    const page = await setup.text()
    const secret = /id="totp-key">([A-Z2-7 ]+)</.exec(page)![1]!.replaceAll(' ', '')
    expect(secret).toMatch(/^[A-Z2-7]{32}$/)
    const svg = /<svg class="qr"[\s\S]*?<\/svg>/.exec(page)![0]
    const { size, dark } = svgModules(svg)
    const read = decode(dark, size)
    expect(read).not.toBeNull()
    // Google Authenticator's Key Uri Format: issuer prefix and parameter, base32 secret without
    // padding, and RFC 6238's SHA-1, 6 digits, 30 s.
    const issuer = 'edge-auth'
    const expected =
      `otpauth://totp/${issuer}:${encodeURIComponent(email)}?issuer=${issuer}` +
      `&algorithm=SHA1&secret=${secret}&period=30&digits=6`
    expect(read!.data).toBe(expected)
    const uri = new URL(read!.data)
    expect(uri.protocol).toBe('otpauth:')
    expect(uri.host).toBe('totp')
    expect(decodeURIComponent(uri.pathname)).toBe(`/${issuer}:${email}`)
    expect(Object.fromEntries(uri.searchParams)).toEqual({
      issuer,
      algorithm: 'SHA1',
      secret,
      period: '30',
      digits: '6',
    })
  })
})

describe('the encoder', () => {
  it("every version 1-40 reads back, byte for byte, at each version's full capacity", () => {
    // Lengths across the byte-mode capacities of versions 1-40 at level M (14 .. 2331 bytes).
    const lengths = [1, 14, 15, 26, 27, 42, 62, 84, 106, 122, 152, 180, 213, 251, 287, 331, 362]
    lengths.push(412, 450, 504, 560, 624, 666, 711, 779, 857, 911, 997, 1059, 1125, 1190, 1264)
    lengths.push(1370, 1452, 1538, 1628, 1722, 1809, 1911, 1989, 2099, 2213, 2331)
    const versions = new Set<number>()
    for (const length of lengths) {
      const text = `otpauth://totp/a:${'x0-_.~%'.repeat(400)}`.slice(0, length)
      const grid = qrMatrix(text)
      versions.add((grid.length - 17) / 4)
      const read = decode((x, y) => grid[y - 4]?.[x - 4] === true, grid.length + 8)
      expect(read?.data, `length ${length}`).toBe(text)
    }
    expect([...versions].sort((a, b) => a - b)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1))
    expect(() => qrMatrix('x'.repeat(2332))).toThrow(RangeError)
    // About 5 s of decoding on a quiet machine; more when the suite shares two cores.
  }, 60_000)

  it('UTF-8 account names (an issuer or address beyond ASCII) read back', () => {
    for (const text of [
      'otpauth://totp/Bücher:zoë@example.com',
      `otpauth://totp/${'日本'.repeat(40)}`,
    ]) {
      const grid = qrMatrix(text)
      expect(decode((x, y) => grid[y - 4]?.[x - 4] === true, grid.length + 8)?.data).toBe(text)
    }
  })

  it('draws, module for module, what a reference encoder (uqr) draws with the same mask', () => {
    for (const length of [20, 120, 160, 250, 400, 1000]) {
      const text = `otpauth://totp/a:${'b'.repeat(length)}`
      for (let mask = 0; mask < 8; mask++) {
        const reference = encode(text, { ecc: 'M', border: 0, boostEcc: false, maskPattern: mask })
        expect(qrMatrix(text, mask), `length ${length} mask ${mask}`).toEqual(reference.data)
      }
    }
  })
})
