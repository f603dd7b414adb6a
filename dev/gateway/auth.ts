import { createHash, timingSafeEqual } from 'node:crypto'

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest()
}

// Comparing digests keeps the comparison constant-time even when the lengths differ.
function same(a: string, expected: Buffer): boolean {
  return timingSafeEqual(digest(a), expected)
}

// Constant-time for strings of equal length (every character is compared); a length mismatch answers
// at once, which reveals only whether the length is that of the header accepted before.
function sameString(a: string, b: string): boolean {
  if (a.length !== b.length) return false
  let diff = 0
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i)
  return diff === 0
}

function decodeComponent(value: string): string {
  try {
    return decodeURIComponent(value)
  } catch (err) {
    if (err instanceof URIError) return value
    throw err
  }
}

/**
 * Builds a checker for `Authorization: Basic …` headers. `@planetscale/database` sends the user and
 * password still percent-encoded (it reads them from `URL.username`/`URL.password`) while other clients
 * send them decoded, so both spellings are accepted.
 */
export function basicAuth(user: string, password: string): (header: string | undefined) => boolean {
  const expectedUser = digest(user)
  const expectedPassword = digest(password)
  // A client sends the same header on every request: the last accepted one is compared as a string,
  // without decoding or hashing. It starts as the plain spelling of the credentials.
  let accepted = `Basic ${Buffer.from(`${user}:${password}`, 'utf8').toString('base64')}`
  return (header) => {
    if (!header) return false
    if (sameString(header, accepted)) return true
    if (!header.startsWith('Basic ')) return false
    const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8')
    const colon = decoded.indexOf(':')
    if (colon < 0) return false
    const u = decoded.slice(0, colon)
    const p = decoded.slice(colon + 1)
    // Evaluate every comparison so timing does not reveal which part matched.
    const userOk = same(u, expectedUser) || same(decodeComponent(u), expectedUser)
    const passwordOk = same(p, expectedPassword) || same(decodeComponent(p), expectedPassword)
    if (!(userOk && passwordOk)) return false
    accepted = header
    return true
  }
}
