import { describe, expect, it } from 'vitest'
import { decodeBase64urlIgnorePadding } from '@oslojs/encoding'
import {
  counterRegressed,
  verifyAssertion,
  verifyRegistration,
  type Expected,
} from '../../src/features/passkeys/webauthn'
import { b64u, TestAuthenticator, type Ceremony } from './passkey-authenticator'

// The server's checks on WebAuthn responses (WebAuthn Level 3 sections 7.1 and 7.2), each against
// a response of our own test authenticator that is right but for the one thing checked.

const ORIGIN = 'https://edge-auth.test'
const RP_ID = 'edge-auth.test'
const bytes = (s: string) => decodeBase64urlIgnorePadding(s)

function expected(challenge: Uint8Array, userVerification = true): Expected {
  return { challenge, origin: ORIGIN, rpId: RP_ID, userVerification }
}

function ceremony(challenge: Uint8Array, more: Partial<Ceremony> = {}): Ceremony {
  return { challenge: b64u(challenge), origin: ORIGIN, rpId: RP_ID, ...more }
}

const fresh = () => crypto.getRandomValues(new Uint8Array(32))

async function registered(alg: 'ES256' | 'RS256') {
  const authenticator = await TestAuthenticator.create(alg)
  const challenge = fresh()
  const json = JSON.parse(await authenticator.register(ceremony(challenge)))
  const result = await verifyRegistration(
    {
      clientDataJSON: bytes(json.response.clientDataJSON),
      attestationObject: bytes(json.response.attestationObject),
    },
    expected(challenge),
  )
  return { authenticator, result }
}

async function assertWith(
  authenticator: TestAuthenticator,
  key: Awaited<ReturnType<typeof registered>>['result']['key'],
  more: Partial<Ceremony> = {},
  userVerification = true,
) {
  const challenge = fresh()
  const json = JSON.parse(await authenticator.assert(ceremony(challenge, more)))
  const r = json.response
  return verifyAssertion(
    {
      clientDataJSON: bytes(r.clientDataJSON),
      authenticatorData: bytes(r.authenticatorData),
      signature: bytes(r.signature),
    },
    expected(challenge, userVerification),
    key,
  ).then(
    (ok) => ok,
    (error: { reason?: string }) => error.reason ?? 'threw',
  )
}

describe('WebAuthn verification', () => {
  for (const alg of ['ES256', 'RS256'] as const) {
    it(`accepts a valid ${alg} registration and assertion`, async () => {
      const { authenticator, result } = await registered(alg)
      expect(b64u(result.credentialId)).toBe(authenticator.credentialId)
      expect(result.key.algorithm).toBe(alg === 'ES256' ? -7 : -257)
      expect(await assertWith(authenticator, result.key)).toEqual({
        counter: 1,
        userVerified: true,
      })
    })
  }

  it('refuses the wrong origin, RP ID, type, challenge, missing UV and UP, a bad signature', async () => {
    const { authenticator, result } = await registered('ES256')
    const key = result.key
    expect(await assertWith(authenticator, key, { origin: 'https://evil.test' })).toBe('origin')
    expect(await assertWith(authenticator, key, { origin: 'https://sub.edge-auth.test' })).toBe(
      'origin',
    )
    expect(await assertWith(authenticator, key, { rpId: 'evil.test' })).toBe('rp_id')
    expect(await assertWith(authenticator, key, { type: 'webauthn.create' })).toBe('type')
    expect(await assertWith(authenticator, key, { challenge: b64u(fresh()) })).toBe('challenge')
    expect(await assertWith(authenticator, key, { userVerified: false })).toBe('user_verified')
    // As a second factor (after the password) presence is enough.
    expect(await assertWith(authenticator, key, { userVerified: false }, false)).toMatchObject({
      userVerified: false,
    })
    expect(await assertWith(authenticator, key, { userPresent: false })).toBe('user_present')
    expect(await assertWith(authenticator, key, { crossOrigin: true })).toBe('cross_origin')
    const other = await registered('ES256')
    expect(await assertWith(authenticator, other.result.key)).toBe('signature')
  })

  it('refuses a registration with the wrong origin, RP ID, without UV, or with attestation', async () => {
    const authenticator = await TestAuthenticator.create('ES256')
    const challenge = fresh()
    const attempt = async (more: Partial<Ceremony>, fmt = 'none') => {
      const json = JSON.parse(await authenticator.register(ceremony(challenge, more), fmt))
      return verifyRegistration(
        {
          clientDataJSON: bytes(json.response.clientDataJSON),
          attestationObject: bytes(json.response.attestationObject),
        },
        expected(challenge),
      ).then(
        () => 'ok',
        (e: { reason?: string }) => e.reason,
      )
    }
    expect(await attempt({})).toBe('ok')
    expect(await attempt({ origin: 'http://edge-auth.test' })).toBe('origin')
    expect(await attempt({ rpId: 'other.test' })).toBe('rp_id')
    expect(await attempt({ userVerified: false })).toBe('user_verified')
    expect(await attempt({ type: 'webauthn.get' })).toBe('type')
    expect(await attempt({}, 'packed')).toBe('attestation')
  })

  it('refuses malformed CBOR and authenticator data as malformed, never with another error', async () => {
    const authenticator = await TestAuthenticator.create('ES256')
    const challenge = fresh()
    const json = JSON.parse(await authenticator.register(ceremony(challenge)))
    const clientDataJSON = bytes(json.response.clientDataJSON)
    const good = bytes(json.response.attestationObject)
    const attempt = (attestationObject: Uint8Array) =>
      verifyRegistration({ clientDataJSON, attestationObject }, expected(challenge)).then(
        () => 'ok',
        (e: { reason?: string }) => e.reason ?? 'threw',
      )
    expect(await attempt(good)).toBe('ok')
    // A byte after the attestation object, an indefinite-length map, a tag, a truncation.
    expect(await attempt(new Uint8Array([...good, 0]))).toBe('malformed')
    expect(await attempt(new Uint8Array([0xbf, ...good.subarray(1)]))).toBe('malformed')
    expect(await attempt(new Uint8Array([0xc0, ...good]))).toBe('malformed')
    expect(await attempt(good.subarray(0, good.length - 10))).toBe('malformed')
    expect(await attempt(new Uint8Array())).toBe('malformed')
    // Every single-byte corruption is refused with a reason or, where it changes nothing the
    // checks read (the AAGUID, say), accepted: never a thrown error of another kind.
    const reasons = new Set<string>()
    for (let i = 0; i < good.length; i++) {
      const bad = good.slice()
      bad[i] = bad[i]! ^ 0x5a
      reasons.add(await attempt(bad))
    }
    expect(reasons.has('threw')).toBe(false)
    expect(reasons).toContain('malformed')
    expect(reasons).toContain('rp_id')
  })

  it('refuses client data that the parser rejects for the member it names, or as malformed', async () => {
    const { authenticator } = await registered('ES256')
    const challenge = fresh()
    const json = JSON.parse(await authenticator.register(ceremony(challenge)))
    const attestationObject = bytes(json.response.attestationObject)
    const attempt = (clientDataJSON: Uint8Array) =>
      verifyRegistration({ clientDataJSON, attestationObject }, expected(challenge)).then(
        () => 'ok',
        (e: { reason?: string }) => e.reason ?? 'threw',
      )
    const client = (members: object) => new TextEncoder().encode(JSON.stringify(members))
    const good = { type: 'webauthn.create', challenge: b64u(challenge), origin: ORIGIN }
    expect(await attempt(client(good))).toBe('ok')
    expect(await attempt(client({ ...good, type: 'payment.get' }))).toBe('type')
    expect(await attempt(client({ ...good, challenge: 7 }))).toBe('challenge')
    expect(await attempt(client({ ...good, origin: undefined }))).toBe('origin')
    expect(await attempt(client({ ...good, crossOrigin: 'no' }))).toBe('cross_origin')
    expect(await attempt(client({ ...good, tokenBinding: 'x' }))).toBe('malformed')
    expect(await attempt(new TextEncoder().encode('null'))).toBe('malformed')
    // Invalid UTF-8 is refused, not read with replacement characters.
    const text = client({ ...good, extra: 'é' })
    const at = text.indexOf(0xc3)
    expect(
      await attempt(
        new Uint8Array([...text.subarray(0, at), 0xc3, 0x28, ...text.subarray(at + 2)]),
      ),
    ).toBe('malformed')
  })

  it('refuses an attestation object with a repeated key', async () => {
    const authenticator = await TestAuthenticator.create('ES256')
    const challenge = fresh()
    const json = JSON.parse(await authenticator.register(ceremony(challenge)))
    const good = bytes(json.response.attestationObject)
    expect(good[0]).toBe(0xa3)
    // A fourth entry repeating fmt: "none".
    const fmtNone = [
      0x63,
      ...new TextEncoder().encode('fmt'),
      0x64,
      ...new TextEncoder().encode('none'),
    ]
    const repeated = new Uint8Array([0xa4, ...good.subarray(1), ...fmtNone])
    const result = await verifyRegistration(
      { clientDataJSON: bytes(json.response.clientDataJSON), attestationObject: repeated },
      expected(challenge),
    ).then(
      () => 'ok',
      (e: { reason?: string }) => e.reason ?? 'threw',
    )
    expect(result).toBe('malformed')
  })

  it('refuses attested credential data whose id is empty or over 1023 bytes', async () => {
    const { result } = await registered('ES256')
    const challenge = fresh()
    const clientDataJSON = new TextEncoder().encode(
      JSON.stringify({ type: 'webauthn.get', challenge: b64u(challenge), origin: ORIGIN }),
    )
    // A P-256 COSE key (kty 2, alg -7, crv 1, x, y) the parser accepts.
    const coseKey = [0xa5, 0x01, 0x02, 0x03, 0x26, 0x20, 0x01, 0x21, 0x58, 0x20]
    const key = [...coseKey, ...new Uint8Array(32).fill(1), 0x22, 0x58, 0x20, ...new Uint8Array(32)]
    const withId = (length: number) =>
      new Uint8Array([
        ...new Uint8Array(32),
        0x45, // UP, UV, AT
        0,
        0,
        0,
        1,
        ...new Uint8Array(16),
        length >> 8,
        length & 0xff,
        ...new Uint8Array(length).fill(7),
        ...key,
      ])
    const attempt = (authenticatorData: Uint8Array) =>
      verifyAssertion(
        { clientDataJSON, authenticatorData, signature: new Uint8Array(70) },
        expected(challenge),
        result.key,
      ).then(
        () => 'ok',
        (e: { reason?: string }) => e.reason ?? 'threw',
      )
    expect(await attempt(withId(0))).toBe('malformed')
    expect(await attempt(withId(1024))).toBe('malformed')
    // One byte long, it is read and the checks go on to the RP ID hash.
    expect(await attempt(withId(1))).toBe('rp_id')
  })

  it('applies the counter rule: a regression refused, synced passkeys (0) accepted', () => {
    expect(counterRegressed(5, 5)).toBe(true)
    expect(counterRegressed(5, 4)).toBe(true)
    expect(counterRegressed(5, 6)).toBe(false)
    expect(counterRegressed(0, 0)).toBe(false)
    expect(counterRegressed(0, 3)).toBe(false)
    // A counting key that falls back to 0 could be a clone skipping the check.
    expect(counterRegressed(3, 0)).toBe(true)
  })
})
