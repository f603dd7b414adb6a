// The test's own RFC 6238 (TOTP over RFC 4226 HOTP), on WebCrypto, independent of @oslojs/otp:
// codes the app accepts are computed here from the key the page shows.

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'

/** RFC 4648 base32 (no padding, spaces ignored) to bytes. */
export function base32Decode(text: string): Uint8Array<ArrayBuffer> {
  const clean = text.replace(/\s+/g, '').toUpperCase()
  let bits = 0
  let value = 0
  const out: number[] = []
  for (const ch of clean) {
    const index = BASE32.indexOf(ch)
    if (index < 0) throw new Error(`not base32: ${ch}`)
    value = (value << 5) | index
    bits += 5
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff)
      bits -= 8
    }
  }
  return new Uint8Array(out)
}

/** HOTP (RFC 4226 section 5.3) with HMAC-SHA-1 for a counter, `digits` long. */
export async function hotp(
  key: Uint8Array<ArrayBuffer>,
  counter: number,
  digits = 6,
): Promise<string> {
  const message = new Uint8Array(8)
  new DataView(message.buffer).setBigUint64(0, BigInt(counter))
  const hmacKey = await crypto.subtle.importKey(
    'raw',
    key,
    { name: 'HMAC', hash: 'SHA-1' },
    false,
    ['sign'],
  )
  const mac = new Uint8Array(await crypto.subtle.sign('HMAC', hmacKey, message))
  const offset = mac[19]! & 0x0f
  const binary =
    ((mac[offset]! & 0x7f) << 24) |
    (mac[offset + 1]! << 16) |
    (mac[offset + 2]! << 8) |
    mac[offset + 3]!
  return String(binary % 10 ** digits).padStart(digits, '0')
}

/** The 30-second step of a Unix time in seconds (RFC 6238 section 4.2, T0 = 0). */
export const stepOf = (unixSeconds: number) => Math.floor(unixSeconds / 30)

/** The TOTP code for a step. */
export const totp = (key: Uint8Array<ArrayBuffer>, step: number, digits = 6) =>
  hotp(key, step, digits)
