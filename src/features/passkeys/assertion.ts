import type { Context } from 'hono'
import { encodeBase64urlNoPadding } from '@oslojs/encoding'
import type { AppEnv } from '../../core/env'
import { linkOrigin } from '../../core/mail/deliver'
import { sha256Hex } from '../../core/security/digest'
import { keyedHash } from '../../core/security/throttle'
import type { parseAssertion } from './credential'
import { counterRegressed, verifyAssertion, WebAuthnRefusal } from './webauthn'

// What every passkey ceremony shares: the relying party, the request options, the credential's
// lookup hash and the checks of an assertion against a stored key.

export const TIMEOUT_MS = 5 * 60 * 1000

/** The expected origin and RP ID: this request's own (see linkOrigin: only the zone's routes). */
export function relyingParty(c: Context) {
  const url = new URL(linkOrigin(c))
  return { origin: url.origin, rpId: url.hostname }
}

export /** The WebAuthn user handle: a keyed hash of the account id, so it names no one (WebAuthn 14.6.1). */
async function userHandle(secret: string, userId: number) {
  const hex = await (await keyedHash(secret))(`passkey-user\n${userId}`)
  return encodeBase64urlNoPadding(Uint8Array.from(hex.match(/../g)!, (h) => parseInt(h, 16)))
}

/** The stored lookup key of a credential id. */
export async function credentialHash(rawId: Uint8Array) {
  return sha256Hex(encodeBase64urlNoPadding(rawId))
}

/** The options of `navigator.credentials.get`, as the page renders them. */
export function requestOptions(
  challenge: string,
  rpId: string,
  allow: string[] = [],
  uv = 'required',
) {
  return {
    challenge,
    rpId,
    timeout: TIMEOUT_MS,
    userVerification: uv,
    allowCredentials: allow.map((id) => ({ type: 'public-key', id })),
  }
}

/** The checks of an assertion against a stored key; the refusal's reason, or the new counter. */
export async function checkAssertion(
  c: Context<AppEnv>,
  response: NonNullable<ReturnType<typeof parseAssertion>>['response'],
  challenge: Uint8Array,
  stored: { publicKey: string; algorithm: number; signCount: number },
  userVerification: boolean,
): Promise<{ reason: string } | { counter: number }> {
  try {
    const result = await verifyAssertion(
      response,
      { challenge, ...relyingParty(c), userVerification },
      { algorithm: stored.algorithm, jwk: JSON.parse(stored.publicKey) as JsonWebKey },
    )
    // WebAuthn 6.1.1: a counter that did not move on means a cloned authenticator.
    if (counterRegressed(stored.signCount, result.counter)) return { reason: 'counter' }
    return { counter: result.counter }
  } catch (error) {
    if (error instanceof WebAuthnRefusal) return { reason: error.reason }
    throw error
  }
}
