import { encodeBase64urlNoPadding } from '@oslojs/encoding'

// A test authenticator of our own: WebCrypto ES256 / RS256 keys, and authenticator data, client
// data, attestation objects and assertions built byte by byte as a browser and a CTAP2
// authenticator would (WebAuthn Level 3, sections 6.1, 6.5 and 5.8.1), so the server's checks are
// exercised on real signatures without any WebAuthn library on the test side.

type Cbor = number | string | Uint8Array | Map<Cbor, Cbor> | { [k: string]: Cbor }

function head(major: number, n: number): number[] {
  if (n < 24) return [(major << 5) | n]
  if (n < 0x100) return [(major << 5) | 24, n]
  if (n < 0x10000) return [(major << 5) | 25, n >> 8, n & 0xff]
  return [(major << 5) | 26, (n >>> 24) & 0xff, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff]
}

function cbor(value: Cbor): number[] {
  if (typeof value === 'number') return value >= 0 ? head(0, value) : head(1, -1 - value)
  if (typeof value === 'string') {
    const bytes = new TextEncoder().encode(value)
    return [...head(3, bytes.length), ...bytes]
  }
  if (value instanceof Uint8Array) return [...head(2, value.length), ...value]
  const entries = value instanceof Map ? [...value.entries()] : Object.entries(value)
  return [...head(5, entries.length), ...entries.flatMap(([k, v]) => [...cbor(k), ...cbor(v)])]
}

const concat = (...parts: (Uint8Array | number[])[]) => new Uint8Array(parts.flatMap((p) => [...p]))

const sha256 = async (bytes: Uint8Array) =>
  new Uint8Array(await crypto.subtle.digest('SHA-256', bytes))

function bigEndian32(n: number) {
  return [(n >>> 24) & 0xff, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff]
}

function rawToDer(raw: Uint8Array) {
  const int = (b: Uint8Array) => {
    let i = 0
    while (i < b.length - 1 && b[i] === 0) i++
    const trimmed = b.subarray(i)
    const body = trimmed[0]! & 0x80 ? [0, ...trimmed] : [...trimmed]
    return [0x02, body.length, ...body]
  }
  const seq = [...int(raw.subarray(0, 32)), ...int(raw.subarray(32))]
  return new Uint8Array([0x30, seq.length, ...seq])
}

export interface Ceremony {
  challenge: string
  origin: string
  rpId: string
  /** Defaults to true. */
  userVerified?: boolean
  userPresent?: boolean
  type?: string
  crossOrigin?: boolean
}

export const b64u = (bytes: Uint8Array) => encodeBase64urlNoPadding(bytes)

export class TestAuthenticator {
  counter = 0
  readonly id = crypto.getRandomValues(new Uint8Array(32))
  private constructor(
    readonly alg: 'ES256' | 'RS256',
    private keys: CryptoKeyPair,
    /** Counts up on every assertion unless false (a synced passkey always sends 0). */
    readonly counts = true,
  ) {}

  static async create(alg: 'ES256' | 'RS256' = 'ES256', counts = true) {
    const params =
      alg === 'ES256'
        ? { name: 'ECDSA', namedCurve: 'P-256' }
        : {
            name: 'RSASSA-PKCS1-v1_5',
            modulusLength: 2048,
            publicExponent: new Uint8Array([1, 0, 1]),
            hash: 'SHA-256',
          }
    const keys = (await crypto.subtle.generateKey(params, true, [
      'sign',
      'verify',
    ])) as CryptoKeyPair
    return new TestAuthenticator(alg, keys, counts)
  }

  get credentialId() {
    return b64u(this.id)
  }

  private async coseKey() {
    const jwk = (await crypto.subtle.exportKey('jwk', this.keys.publicKey)) as JsonWebKey
    const bytes = (s: string) =>
      Uint8Array.from(atob(s.replace(/-/g, '+').replace(/_/g, '/')), (ch) => ch.charCodeAt(0))
    const map = new Map<Cbor, Cbor>()
    if (this.alg === 'ES256') {
      map.set(1, 2).set(3, -7).set(-1, 1).set(-2, bytes(jwk.x!)).set(-3, bytes(jwk.y!))
    } else {
      map.set(1, 3).set(3, -257).set(-1, bytes(jwk.n!)).set(-2, bytes(jwk.e!))
    }
    return cbor(map)
  }

  private async authData(c: Ceremony, attested: boolean) {
    const flags =
      (c.userPresent === false ? 0 : 0x01) |
      (c.userVerified === false ? 0 : 0x04) |
      (attested ? 0x40 : 0)
    const parts: (Uint8Array | number[])[] = [
      await sha256(new TextEncoder().encode(c.rpId)),
      [flags],
      bigEndian32(this.counter),
    ]
    if (attested) {
      parts.push(new Uint8Array(16), [this.id.length >> 8, this.id.length & 0xff], this.id)
      parts.push(await this.coseKey())
    }
    return concat(...parts)
  }

  private clientData(c: Ceremony, type: string) {
    const json = JSON.stringify({
      type: c.type ?? type,
      challenge: c.challenge,
      origin: c.origin,
      crossOrigin: c.crossOrigin ?? false,
    })
    return new TextEncoder().encode(json)
  }

  /** What `credential.toJSON()` gives after `navigator.credentials.create`. */
  async register(c: Ceremony, fmt = 'none') {
    const clientDataJSON = this.clientData(c, 'webauthn.create')
    const authData = await this.authData(c, true)
    const attestationObject = new Uint8Array(cbor({ fmt, attStmt: new Map(), authData }))
    return JSON.stringify({
      id: this.credentialId,
      rawId: this.credentialId,
      type: 'public-key',
      authenticatorAttachment: 'platform',
      clientExtensionResults: {},
      response: {
        clientDataJSON: b64u(clientDataJSON),
        attestationObject: b64u(attestationObject),
        transports: ['internal'],
      },
    })
  }

  /** What `credential.toJSON()` gives after `navigator.credentials.get`. */
  async assert(c: Ceremony, userHandle?: string) {
    if (this.counts) this.counter += 1
    const clientDataJSON = this.clientData(c, 'webauthn.get')
    const authenticatorData = await this.authData(c, false)
    const message = concat(authenticatorData, await sha256(clientDataJSON))
    const algorithm =
      this.alg === 'ES256' ? { name: 'ECDSA', hash: 'SHA-256' } : { name: 'RSASSA-PKCS1-v1_5' }
    const raw = new Uint8Array(await crypto.subtle.sign(algorithm, this.keys.privateKey, message))
    const signature = this.alg === 'ES256' ? rawToDer(raw) : raw
    return JSON.stringify({
      id: this.credentialId,
      rawId: this.credentialId,
      type: 'public-key',
      authenticatorAttachment: 'platform',
      clientExtensionResults: {},
      response: {
        clientDataJSON: b64u(clientDataJSON),
        authenticatorData: b64u(authenticatorData),
        signature: b64u(signature),
        userHandle: userHandle ?? null,
      },
    })
  }
}
