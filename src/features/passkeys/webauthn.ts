import { CBORMap, decodeCBORNoLeftoverBytes, transformCBORValueToNative } from '@oslojs/cbor'
import {
  ClientDataType,
  COSEKeyType,
  coseAlgorithmES256,
  coseAlgorithmRS256,
  coseEllipticCurveP256,
  parseAuthenticatorData,
  parseClientDataJSON,
} from '@oslojs/webauthn'
import { encodeBase64urlNoPadding } from '@oslojs/encoding'

// WebAuthn Level 3 verification (sections 7.1 and 7.2): @oslojs/webauthn parses the client data
// JSON, the authenticator data and the COSE key (sections 5.8.1, 6.1, 6.5, RFC 9053), and WebCrypto
// verifies the signatures: ES256 (COSE -7) and RS256 (COSE -257) only, attestation "none". The
// attestation object is decoded by @oslojs/cbor rather than parseAttestationObject, which would
// bring every attestation statement format's code and accepts a tagged object (issue 18).
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

export const ES256 = coseAlgorithmES256
export const RS256 = coseAlgorithmRS256

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

// The library decodes without `fatal`; invalid UTF-8 is malformed, not replaced (RFC 8259 8.1).
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false })

// The client data members the library names in its errors, and the refusal each one is.
const clientDataRefusals: Record<string, Refusal> = {
  type: 'type',
  challenge: 'challenge',
  origin: 'origin',
  crossOrigin: 'cross_origin',
}

function checkClientData(bytes: Uint8Array, type: ClientDataType, expected: Expected) {
  parse(() => utf8.decode(bytes))
  let client
  try {
    client = parseClientDataJSON(bytes)
  } catch (error) {
    // A missing or mistyped member is refused for that member, as when it is present but wrong.
    const member = /'([a-zA-Z]+)'/.exec(String(error))?.[1]
    return refuse((member && clientDataRefusals[member]) || 'malformed')
  }
  if (client.type !== type) refuse('type')
  if (!sameBytes(client.challenge, expected.challenge)) refuse('challenge')
  if (client.origin !== expected.origin) refuse('origin')
  // The page is never framed (frame-ancestors 'none'), so a cross-origin ceremony is not ours.
  if (client.crossOrigin) refuse('cross_origin')
}

/** Authenticator data (WebAuthn 6.1) with, when present, its attested credential (6.5.1). */
function authenticatorData(bytes: Uint8Array, expected: Expected) {
  const data = parse(() => parseAuthenticatorData(bytes))
  // WebAuthn 6.5.1: a credential id is 1 to 1023 bytes; the library allows any length.
  const length = data.credential?.id.length
  if (length !== undefined && (length === 0 || length > 1023)) refuse('malformed')
  if (!data.verifyRelyingPartyIdHash(expected.rpId)) refuse('rp_id')
  if (!data.userPresent) refuse('user_present')
  // Better Auth asks for UV without enforcing it (PR 11155): here it is checked on the data the
  // authenticator signed. NIST SP 800-63B-4 3.1.7: a multi-factor authenticator must verify the user.
  if (expected.userVerification && !data.userVerified) refuse('user_verified')
  return data
}

/** A coordinate or RSA parameter as the big-endian bytes of its COSE encoding, base64url. */
function b64(n: bigint, length: number) {
  const bytes = new Uint8Array(length)
  for (let i = length - 1; i >= 0; i--, n >>= 8n) bytes[i] = Number(n & 0xffn)
  return encodeBase64urlNoPadding(bytes)
}

type CoseKey = NonNullable<ReturnType<typeof parseAuthenticatorData>['credential']>['publicKey']

/**
 * A COSE key (RFC 9053 7.1, RFC 8230 4) as a JWK: P-256 for ES256, RSA for RS256, else refused.
 * The library requires 32-byte coordinates, a 256-byte modulus and a 3-byte exponent.
 */
function storedKey(key: CoseKey): StoredKey {
  const algorithm = parse(() => key.algorithm())
  const type = parse(() => key.type())
  if (algorithm === ES256 && type === COSEKeyType.EC2) {
    const ec = parse(() => key.ec2())
    if (ec.curve !== coseEllipticCurveP256) refuse('algorithm')
    return { algorithm, jwk: { kty: 'EC', crv: 'P-256', x: b64(ec.x, 32), y: b64(ec.y, 32) } }
  }
  if (algorithm === RS256 && type === COSEKeyType.RSA) {
    const rsa = parse(() => key.rsa())
    return { algorithm, jwk: { kty: 'RSA', n: b64(rsa.n, 256), e: b64(rsa.e, 3) } }
  }
  return refuse('algorithm')
}

/**
 * The attestation object (WebAuthn 6.5): a CBOR map, not tagged, no repeated key, nothing after
 * it, with fmt "none" and an empty attStmt (8.7). Returns its authenticator data.
 */
function attestedData(bytes: Uint8Array) {
  const decoded = parse(() => decodeCBORNoLeftoverBytes(bytes, 4))
  if (!(decoded instanceof CBORMap)) return refuse('malformed')
  // The native form refuses repeated keys (CBORMap.hasDuplicateKeys compares text keys' byte
  // arrays by identity in @oslojs/cbor 1.0.0, so it cannot be relied on).
  const object = parse(() => transformCBORValueToNative(decoded) as Record<string, unknown>)
  const statement = object.attStmt
  if (
    object.fmt !== 'none' ||
    typeof statement !== 'object' ||
    statement === null ||
    Array.isArray(statement) ||
    Object.keys(statement).length
  ) {
    refuse('attestation')
  }
  return object.authData instanceof Uint8Array ? object.authData : refuse('malformed')
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
  checkClientData(response.clientDataJSON, ClientDataType.Create, expected)
  const data = authenticatorData(attestedData(response.attestationObject), expected)
  const credential = data.credential ?? refuse('malformed')
  const stored = storedKey(credential.publicKey)
  // The key must import, or the credential could never sign in.
  await importKey(stored).catch(() => refuse('algorithm'))
  return { credentialId: credential.id, key: stored, counter: data.signatureCounter }
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
  checkClientData(response.clientDataJSON, ClientDataType.Get, expected)
  const data = authenticatorData(response.authenticatorData, expected)
  const clientHash = new Uint8Array(await crypto.subtle.digest('SHA-256', response.clientDataJSON))
  const message = new Uint8Array(response.authenticatorData.length + 32)
  message.set(response.authenticatorData)
  message.set(clientHash, response.authenticatorData.length)
  const publicKey = await importKey(key).catch(() => refuse('algorithm'))
  const es256 = key.algorithm === ES256
  const signature = es256 ? derToRaw(response.signature) : response.signature
  const algorithm = es256 ? { name: 'ECDSA', hash: 'SHA-256' } : { name: 'RSASSA-PKCS1-v1_5' }
  const ok = await crypto.subtle.verify(algorithm, publicKey, signature, message)
  if (!ok) refuse('signature')
  return { counter: data.signatureCounter, userVerified: data.userVerified }
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
