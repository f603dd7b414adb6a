import * as v from 'valibot'
import { decodeBase64urlIgnorePadding } from '@oslojs/encoding'

// What the script puts in the form's hidden `credential` field: `PublicKeyCredential.toJSON()`
// (or the script's fallback of the same shape). Everything is checked here before any statement:
// unknown shapes are refused as malformed (ASVS 2.2.1), never thrown into a 500.

export const CREDENTIAL_MAX = 16_000
const B64URL = /^[A-Za-z0-9_-]*={0,2}$/

/** The bytes, or undefined where the decoder throws (a length or trailing bits no encoder makes). */
function decoded(s: string): Uint8Array | undefined {
  try {
    return decodeBase64urlIgnorePadding(s.replace(/=+$/, ''))
  } catch {
    return undefined
  }
}

// A throw inside a transform escapes safeParse (a 500): the decoder's refusal is an issue instead.
const bytes = v.pipe(
  v.string(),
  v.maxLength(CREDENTIAL_MAX),
  v.regex(B64URL),
  v.transform(decoded),
  v.instance(Uint8Array),
)

const common = {
  id: v.pipe(v.string(), v.minLength(1), v.maxLength(1364), v.regex(B64URL)),
  type: v.literal('public-key'),
}

const registration = v.object({
  ...common,
  response: v.object({
    clientDataJSON: bytes,
    attestationObject: bytes,
    transports: v.optional(v.array(v.pipe(v.string(), v.maxLength(32)))),
  }),
})

const assertion = v.object({
  ...common,
  response: v.object({
    clientDataJSON: bytes,
    authenticatorData: bytes,
    signature: bytes,
    userHandle: v.optional(v.nullable(v.pipe(v.string(), v.maxLength(200), v.regex(B64URL)))),
  }),
})

function parseJson(text: string): unknown {
  if (text.length === 0 || text.length > CREDENTIAL_MAX) return undefined
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}

export function parseRegistration(text: string) {
  const parsed = v.safeParse(registration, parseJson(text))
  return parsed.success ? parsed.output : undefined
}

export function parseAssertion(text: string) {
  const parsed = v.safeParse(assertion, parseJson(text))
  if (!parsed.success) return undefined
  // rawId is the id's bytes; the id must decode.
  const rawId = decoded(parsed.output.id)
  return rawId && { ...parsed.output, rawId }
}
