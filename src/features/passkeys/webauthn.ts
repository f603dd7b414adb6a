import {
  ClientDataType,
  COSEKeyType,
  coseAlgorithmES256,
  coseAlgorithmRS256,
  coseEllipticCurveP256,
  parseAttestationObject,
  parseAuthenticatorData,
  parseClientDataJSON,
  AttestationStatementFormat,
} from '@oslojs/webauthn'
import { encodeBase64urlNoPadding } from '@oslojs/encoding'

// WebAuthn Level 3 verification (sections 7.1 and 7.2) with @oslojs/webauthn for parsing and
// WebCrypto for signatures: ES256 (COSE -7) and RS256 (COSE -257) only, attestation "none".
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

export class WebAuthnRefusal extends Error {
  override name = 'WebAuthnRefusal'
  constructor(readonly reason: Refusal) {
    super(reason)
  }
}

const refuse = (reason: Refusal): never => {
  throw new WebAuthnRefusal(reason)
}

function sameBytes(a: Uint8Array, b: Uint8Array) {
  if (a.length !== b.length) return false
  let diff = 0
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!
  return diff === 0
}

function parse<T>(f: () => T): T {
  try {
    return f()
  } catch {
    return refuse('malformed')
  }
}

function checkClientData(bytes: Uint8Array, type: ClientDataType, expected: Expected) {
  const client = parse(() => parseClientDataJSON(bytes))
  if (client.type !== type) refuse('type')
  if (!sameBytes(client.challenge, expected.challenge)) refuse('challenge')
  if (client.origin !== expected.origin) refuse('origin')
  // The page is never framed (frame-ancestors 'none'), so a cross-origin ceremony is not ours.
  if (client.crossOrigin) refuse('cross_origin')
}

function checkAuthenticatorData(
  data: ReturnType<typeof parseAuthenticatorData>,
  expected: Expected,
) {
  if (!data.verifyRelyingPartyIdHash(expected.rpId)) refuse('rp_id')
  if (!data.userPresent) refuse('user_present')
  // Better Auth asks for UV without enforcing it (PR 11155): here it is checked on the data the
  // authenticator signed. NIST SP 800-63B-4 3.1.7: a multi-factor authenticator must verify the user.
  if (expected.userVerification && !data.userVerified) refuse('user_verified')
}

const b64 = (n: bigint) => {
  let hex = n.toString(16)
  if (hex.length % 2) hex = '0' + hex
  const bytes = new Uint8Array(hex.length / 2)
  for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16)
  return encodeBase64urlNoPadding(bytes)
}

function fixed32(n: bigint) {
  const hex = n.toString(16).padStart(64, '0')
  if (hex.length !== 64) refuse('algorithm')
  const bytes = new Uint8Array(32)
  for (let i = 0; i < 32; i++) bytes[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16)
  return encodeBase64urlNoPadding(bytes)
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
  const attestation = parse(() => parseAttestationObject(response.attestationObject))
  if (attestation.attestationStatement.format !== AttestationStatementFormat.None) {
    refuse('attestation')
  }
  const data = attestation.authenticatorData
  checkAuthenticatorData(data, expected)
  const credential = data.credential ?? refuse('malformed')
  const key = credential.publicKey
  let stored: StoredKey
  const algorithm = parse(() => key.algorithm())
  if (algorithm === coseAlgorithmES256 && key.type() === COSEKeyType.EC2) {
    const ec = parse(() => key.ec2())
    if (ec.curve !== coseEllipticCurveP256) refuse('algorithm')
    stored = { algorithm, jwk: { kty: 'EC', crv: 'P-256', x: fixed32(ec.x), y: fixed32(ec.y) } }
  } else if (algorithm === coseAlgorithmRS256 && key.type() === COSEKeyType.RSA) {
    const rsa = parse(() => key.rsa())
    stored = { algorithm, jwk: { kty: 'RSA', n: b64(rsa.n), e: b64(rsa.e) } }
  } else {
    return refuse('algorithm')
  }
  // The key must import, or the credential could never sign in.
  await importKey(stored).catch(() => refuse('algorithm'))
  return { credentialId: credential.id, key: stored, counter: data.signatureCounter }
}

function importKey(key: StoredKey) {
  const algorithm =
    key.algorithm === coseAlgorithmES256
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
  const data = parse(() => parseAuthenticatorData(response.authenticatorData))
  checkAuthenticatorData(data, expected)
  const clientHash = new Uint8Array(await crypto.subtle.digest('SHA-256', response.clientDataJSON))
  const message = new Uint8Array(response.authenticatorData.length + 32)
  message.set(response.authenticatorData)
  message.set(clientHash, response.authenticatorData.length)
  const publicKey = await importKey(key).catch(() => refuse('algorithm'))
  const es256 = key.algorithm === coseAlgorithmES256
  const signature = es256 ? derToRaw(response.signature) : response.signature
  const algorithm = es256 ? { name: 'ECDSA', hash: 'SHA-256' } : { name: 'RSASSA-PKCS1-v1_5' }
  const ok = await crypto.subtle.verify(algorithm, publicKey, signature, message)
  if (!ok) refuse('signature')
  return { counter: data.signatureCounter, userVerified: data.userVerified }
}

/**
 * The counter rule (WebAuthn 6.1.1): when both the stored and the received counter are non-zero
 * and the received one is not larger, the authenticator may have been cloned: refuse. Synced
 * passkeys always send 0 and are accepted.
 */
export function counterRegressed(stored: number, received: number) {
  return stored !== 0 && received !== 0 && received <= stored
}
