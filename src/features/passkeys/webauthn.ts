import { decodeBase64urlIgnorePadding, encodeBase64urlNoPadding } from '@oslojs/encoding'

// WebAuthn Level 3 verification (sections 7.1 and 7.2) with WebCrypto for the hashes and the
// signatures: ES256 (COSE -7) and RS256 (COSE -257) only, attestation "none". The few structures
// it reads (client data JSON, authenticator data, the attestation object and the COSE key: sections
// 5.8.1, 6.1, 6.5 and RFC 9053) are parsed here, strictly, by a small CBOR reader (RFC 8949), not by
// a WebAuthn library: the feature's bundle budget (issue 18) leaves no room for one.
// Every refusal names its reason, for the audit log and the tests; none is shown to the person.

export type Refusal =
  | 'malformed'
  | 'type'
  | 'challenge'
  | 'origin'
  | 'cross_origin'
  | 'rp_id'
  | 'user_present'
  | 'user_verified'
  | 'algorithm'
  | 'attestation'
  | 'signature'

/** What the server expects of a ceremony: the challenge it issued, its origin and RP ID. */
export interface Expected {
  challenge: Uint8Array
  /** Exactly the app's origin (no subdomain, no other port): WebAuthn 7.1 step 9. */
  origin: string
  rpId: string
  /** Required when the passkey replaces the password (both factors at once). */
  userVerification: boolean
}

/** A public key as stored: its COSE algorithm and a JWK WebCrypto imports. */
export interface StoredKey {
  algorithm: number
  jwk: JsonWebKey
}

export const ES256 = -7
export const RS256 = -257

export class WebAuthnRefusal extends Error {
  override name = 'WebAuthnRefusal'
  constructor(readonly reason: Refusal) {
    super(reason)
  }
}

const refuse = (reason: Refusal): never => {
  throw new WebAuthnRefusal(reason)
}

/** Runs a parser; anything it throws (a bad byte, bad UTF-8, bad JSON) is 'malformed'. */
function parse<T>(f: () => T): T {
  try {
    return f()
  } catch {
    return refuse('malformed')
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array) {
  if (a.length !== b.length) return false
  let diff = 0
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!
  return diff === 0
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false })
const sha256 = async (bytes: Uint8Array) =>
  new Uint8Array(await crypto.subtle.digest('SHA-256', bytes))

type Cbor = number | boolean | null | string | Uint8Array | Cbor[] | Map<Cbor, Cbor>

/**
 * One CBOR item at `at` and where it ends. Only what CTAP2's canonical encoding uses (CTAP 2.1
 * 8.2): integers, byte and text strings, arrays, maps, false/true/null, definite lengths; tags,
 * floats, indefinite lengths and repeated map keys are refused, and nesting is bounded.
 */
function cbor(bytes: Uint8Array, at: number, depth = 0): [Cbor, number] {
  const first = bytes[at++]
  if (first === undefined || depth > 8) throw new Error()
  const major = first >> 5
  let n = first & 31
  if (n > 23) {
    if (n > 27 || major === 7) throw new Error()
    const size = 1 << (n - 24)
    if (at + size > bytes.length) throw new Error()
    n = 0
    for (let i = 0; i < size; i++) n = n * 256 + bytes[at++]!
    if (n > Number.MAX_SAFE_INTEGER) throw new Error()
  }
  if (major < 2) return [major ? -1 - n : n, at]
  if (major < 4) {
    const end = at + n
    if (end > bytes.length) throw new Error()
    const raw = bytes.slice(at, end)
    return [major === 2 ? raw : utf8.decode(raw), end]
  }
  if (major === 4 || major === 5) {
    const list: Cbor[] = []
    const map = new Map<Cbor, Cbor>()
    for (let i = 0; i < n; i++) {
      let key, value
      ;[key, at] = cbor(bytes, at, depth + 1)
      if (major === 4) {
        list.push(key)
        continue
      }
      ;[value, at] = cbor(bytes, at, depth + 1)
      if (map.has(key)) throw new Error()
      map.set(key, value)
    }
    return [major === 4 ? list : map, at]
  }
  if (major === 7 && n >= 20 && n <= 22) return [n === 22 ? null : n === 21, at]
  throw new Error()
}

/** One whole CBOR item, nothing after it. */
function cborOnly(bytes: Uint8Array) {
  const [item, end] = cbor(bytes, 0)
  if (end !== bytes.length) throw new Error()
  return item
}

const UP = 0x01
const UV = 0x04
const AT = 0x40

/**
 * Authenticator data (WebAuthn 6.1): the RP ID hash, flags, counter and, when AT is set, the
 * attested credential (6.5.1: AAGUID, id length, id, COSE key). Extensions after it are not read.
 */
function authenticatorData(bytes: Uint8Array) {
  if (bytes.length < 37) refuse('malformed')
  const flags = bytes[32]!
  const counter = new DataView(bytes.buffer, bytes.byteOffset, bytes.length).getUint32(33)
  let credential: { id: Uint8Array; key: Cbor } | undefined
  if (flags & AT) {
    const length = bytes.length < 55 ? 0 : (bytes[53]! << 8) | bytes[54]!
    // WebAuthn 6.5.1: an id is at most 1023 bytes.
    if (length === 0 || length > 1023 || bytes.length < 55 + length) refuse('malformed')
    const id = bytes.slice(55, 55 + length)
    credential = { id, key: parse(() => cbor(bytes, 55 + length)[0]) }
  }
  return { flags, counter, credential }
}

async function checkClientData(bytes: Uint8Array, type: string, expected: Expected) {
  const client = parse(() => JSON.parse(utf8.decode(bytes)) as Record<string, unknown>)
  if (typeof client !== 'object' || client === null) refuse('malformed')
  if (client.type !== type) refuse('type')
  const challenge = client.challenge
  if (typeof challenge !== 'string') refuse('challenge')
  if (
    !sameBytes(
      parse(() => decodeBase64urlIgnorePadding(challenge as string)),
      expected.challenge,
    )
  ) {
    refuse('challenge')
  }
  if (client.origin !== expected.origin) refuse('origin')
  // The page is never framed (frame-ancestors 'none'), so a cross-origin ceremony is not ours.
  if (client.crossOrigin !== undefined && client.crossOrigin !== false) refuse('cross_origin')
}

async function checkAuthenticatorData(bytes: Uint8Array, flags: number, expected: Expected) {
  const rpIdHash = await sha256(new TextEncoder().encode(expected.rpId))
  if (!sameBytes(bytes.subarray(0, 32), rpIdHash)) refuse('rp_id')
  if (!(flags & UP)) refuse('user_present')
  // Better Auth asks for UV without enforcing it (PR 11155): here it is checked on the data the
  // authenticator signed. NIST SP 800-63B-4 3.1.7: a multi-factor authenticator must verify the user.
  if (expected.userVerification && !(flags & UV)) refuse('user_verified')
}

/** A COSE key (RFC 9053 7.1, RFC 8230 4) as a JWK: P-256 for ES256, RSA for RS256, else refused. */
function storedKey(key: Cbor): StoredKey {
  if (!(key instanceof Map)) return refuse('malformed')
  const bytes = (label: number, length?: number) => {
    let value = key.get(label)
    if (!(value instanceof Uint8Array)) return refuse('algorithm')
    if (length === undefined) while (value.length > 1 && value[0] === 0) value = value.subarray(1)
    else if (value.length !== length) refuse('algorithm')
    return encodeBase64urlNoPadding(value)
  }
  const algorithm = key.get(3)
  const kty = key.get(1)
  // kty 2 (EC2) with crv 1 (P-256); kty 3 (RSA) with n (-1) and e (-2).
  if (algorithm === ES256 && kty === 2 && key.get(-1) === 1) {
    return { algorithm, jwk: { kty: 'EC', crv: 'P-256', x: bytes(-2, 32), y: bytes(-3, 32) } }
  }
  if (algorithm === RS256 && kty === 3) {
    return { algorithm, jwk: { kty: 'RSA', n: bytes(-1), e: bytes(-2) } }
  }
  return refuse('algorithm')
}

/**
 * Verifies a registration (WebAuthn 7.1): client data, RP ID hash, flags, and attestation "none"
 * (no attestation is asked for, so another format is refused rather than half-checked). Returns
 * the credential to store and its signature counter.
 */
export async function verifyRegistration(
  response: { clientDataJSON: Uint8Array; attestationObject: Uint8Array },
  expected: Expected,
) {
  await checkClientData(response.clientDataJSON, 'webauthn.create', expected)
  const attestation = parse(() => cborOnly(response.attestationObject))
  if (!(attestation instanceof Map)) return refuse('malformed')
  const statement = attestation.get('attStmt')
  if (attestation.get('fmt') !== 'none' || !(statement instanceof Map) || statement.size) {
    refuse('attestation')
  }
  const bytes = attestation.get('authData')
  if (!(bytes instanceof Uint8Array)) return refuse('malformed')
  const data = authenticatorData(bytes)
  await checkAuthenticatorData(bytes, data.flags, expected)
  const credential = data.credential ?? refuse('malformed')
  const stored = storedKey(credential.key)
  // The key must import, or the credential could never sign in.
  await importKey(stored).catch(() => refuse('algorithm'))
  return { credentialId: credential.id, key: stored, counter: data.counter }
}

function importKey(key: StoredKey) {
  const algorithm =
    key.algorithm === ES256
      ? { name: 'ECDSA', namedCurve: 'P-256' }
      : { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }
  return crypto.subtle.importKey('jwk', key.jwk, algorithm, false, ['verify'])
}

// ES256 signatures come DER-encoded (SEQUENCE of two INTEGERs); WebCrypto wants r || s.
function derToRaw(der: Uint8Array): Uint8Array {
  const out = new Uint8Array(64)
  let i = 0
  if (der[i++] !== 0x30) refuse('signature')
  let length = der[i++]!
  if (length & 0x80) i += length & 0x7f
  for (const at of [0, 32]) {
    if (der[i++] !== 0x02) refuse('signature')
    length = der[i++] ?? 0
    let int = der.subarray(i, i + length)
    i += length
    while (int.length > 32 && int[0] === 0) int = int.subarray(1)
    if (int.length > 32 || int.length === 0) refuse('signature')
    out.set(int, at + 32 - int.length)
  }
  if (i !== der.length) refuse('signature')
  return out
}

/**
 * Verifies an assertion (WebAuthn 7.2) against a stored key: client data, RP ID hash, flags and
 * the signature over authenticatorData || SHA-256(clientDataJSON). Returns the new counter; the
 * caller applies the counter rule (it needs the stored one).
 */
export async function verifyAssertion(
  response: { clientDataJSON: Uint8Array; authenticatorData: Uint8Array; signature: Uint8Array },
  expected: Expected,
  key: StoredKey,
) {
  await checkClientData(response.clientDataJSON, 'webauthn.get', expected)
  const data = authenticatorData(response.authenticatorData)
  await checkAuthenticatorData(response.authenticatorData, data.flags, expected)
  const clientHash = await sha256(response.clientDataJSON)
  const message = new Uint8Array(response.authenticatorData.length + 32)
  message.set(response.authenticatorData)
  message.set(clientHash, response.authenticatorData.length)
  const publicKey = await importKey(key).catch(() => refuse('algorithm'))
  const es256 = key.algorithm === ES256
  const signature = es256 ? derToRaw(response.signature) : response.signature
  const algorithm = es256 ? { name: 'ECDSA', hash: 'SHA-256' } : { name: 'RSASSA-PKCS1-v1_5' }
  const ok = await crypto.subtle.verify(algorithm, publicKey, signature, message)
  if (!ok) refuse('signature')
  return { counter: data.counter, userVerified: (data.flags & UV) !== 0 }
}

/**
 * The counter rule (WebAuthn L3 7.2 step 21): unless both counters are 0 (a synced passkey, which
 * never counts), the received counter must be larger than the stored one, or the authenticator may
 * have been cloned. A counting key that falls back to 0 is refused too, or a clone could send 0 to
 * skip the check. recordUse (queries.ts) writes under the same rule, so it holds across parallel
 * sign-ins as well.
 */
export function counterRegressed(stored: number, received: number) {
  return !(received > stored || (received === 0 && stored === 0))
}
