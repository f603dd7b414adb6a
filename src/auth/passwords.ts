import bcrypt from 'bcryptjs'
import { COMMON_PASSWORDS } from './common-passwords'
import { sha256Hex } from './digest'
import { DUMMY_HASHES } from './dummy-hashes'

/** bcrypt reads at most 72 bytes; bcryptjs silently ignores the rest. */
const BCRYPT_MAX_BYTES = 72

const encoder = new TextEncoder()
const LEGACY_SHA256 = /^[0-9a-f]{64}$/i
/**
 * Prefix of a legacy SHA-256 hex digest wrapped in bcrypt by `npm run db:migrate`. It cannot be taken
 * for a bcrypt hash (those start with `$2`) nor for a raw digest (hex only); 14 + 60 characters fit
 * `pass_word` VARCHAR(255).
 */
export const WRAPPED_SHA256_PREFIX = 'sha256-bcrypt:'

// NIST SP 800-63B-4 3.1.1.2: normalise with NFKC so the same password typed on different devices
// verifies; applied identically when hashing and verifying.
function normalise(password: string): string {
  return password.normalize('NFKC')
}

function utf8Length(text: string): number {
  return encoder.encode(text).length
}

/**
 * Checks a new password; returns the message to show, or null when acceptable.
 * No composition rules (ASVS 6.2.5); length in code points (NIST SP 800-63B-4 3.1.1.2); refuse rather
 * than truncate past bcrypt's 72 bytes (ASVS 6.2.8); refuse common and context words (ASVS 6.2.4).
 */
export function checkNewPassword(
  password: string,
  minLength: number,
  context: readonly string[] = [],
): string | null {
  const normalised = normalise(password)
  const length = [...normalised].length
  if (length < minLength) return `Use at least ${minLength} characters (you have ${length}).`
  if (utf8Length(normalised) > BCRYPT_MAX_BYTES) {
    return `Use at most ${BCRYPT_MAX_BYTES} bytes: this password is ${utf8Length(normalised)} bytes in UTF-8 (accented letters and emoji take 2 to 4 bytes each).`
  }
  if (COMMON_PASSWORDS.has(normalised.toLowerCase())) {
    return 'This password is too common. Choose another.'
  }
  if (mentionsContext(password, context)) {
    return 'Do not use your username or email in your password.'
  }
  return null
}

/** True when the password contains one of these words of 4 or more characters (ASVS 6.2.11). */
export function mentionsContext(password: string, context: readonly string[]): boolean {
  const lower = normalise(password).toLowerCase()
  return context.some((word) => word.length >= 4 && lower.includes(word.toLowerCase()))
}

/** bcrypt hash of the normalised password; callers must have passed `checkNewPassword`. */
export function hashPassword(password: string, cost: number): string {
  return bcrypt.hashSync(normalise(password), cost)
}

/** True for an unwrapped legacy digest: 64 hex characters, the old app's unsalted SHA-256. */
export function isRawLegacyDigest(stored: string): boolean {
  return LEGACY_SHA256.test(stored)
}

/**
 * Wraps a legacy SHA-256 hex digest as `sha256-bcrypt:` + bcrypt(digest), so no raw digest stays in
 * the database and every guess costs a salted bcrypt compare (ASVS 11.4.2: an approved password
 * hashing function), even for users who never come back.
 */
export function wrapLegacyDigest(hexDigest: string, cost: number): string {
  return WRAPPED_SHA256_PREFIX + bcrypt.hashSync(hexDigest.toLowerCase(), cost)
}

// ASVS 11.2.4: no early exit on the first difference. Both sides are 64 hex characters here, so
// the length check reveals nothing.
function sameText(a: string, b: string): boolean {
  if (a.length !== b.length) return false
  let diff = 0
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i)
  return diff === 0
}

function dummyCompare(normalised: string, cost: number): void {
  bcrypt.compareSync(normalised.slice(0, BCRYPT_MAX_BYTES), DUMMY_HASHES[cost] ?? DUMMY_HASHES[10]!)
}

export interface Verification {
  ok: boolean
  /** True when the stored hash is legacy or below the configured cost and can be replaced now. */
  needsRehash: boolean
}

/**
 * Verifies a password against a stored bcrypt hash, a wrapped legacy digest (`sha256-bcrypt:`) or a
 * raw legacy SHA-256 hex digest. Every path spends exactly one bcrypt compare, so neither unknown
 * accounts nor legacy ones answer faster (ASVS 6.3.8).
 */
export async function verifyPassword(
  password: string,
  storedHash: string | undefined,
  cost: number,
): Promise<Verification> {
  const normalised = normalise(password)
  const fitsBcrypt = utf8Length(normalised) <= BCRYPT_MAX_BYTES
  if (storedHash?.startsWith(WRAPPED_SHA256_PREFIX)) {
    // The legacy app hashed the raw UTF-8 password, not its NFKC form. bcrypt sees only 64 hex
    // characters here, so passwords past 72 bytes verify in full (ASVS 6.2.8) and, as plain bcrypt
    // cannot hold them, stay wrapped: no rehash for them.
    const ok = bcrypt.compareSync(
      await sha256Hex(password),
      storedHash.slice(WRAPPED_SHA256_PREFIX.length),
    )
    return { ok, needsRehash: ok && fitsBcrypt }
  }
  if (storedHash && LEGACY_SHA256.test(storedHash)) {
    // A raw digest (a database adopted by hand): compare in constant time, then spend the bcrypt
    // compare a wrapped or bcrypt hash would cost, so timing does not mark old accounts.
    const ok = sameText(await sha256Hex(password), storedHash.toLowerCase())
    dummyCompare(normalised, cost)
    return { ok, needsRehash: ok && fitsBcrypt }
  }
  if (!storedHash || !fitsBcrypt) {
    // A password past 72 bytes can never have been set here; comparing it would verify its prefix.
    dummyCompare(normalised, cost)
    return { ok: false, needsRehash: false }
  }
  const ok = bcrypt.compareSync(normalised, storedHash)
  return { ok, needsRehash: ok && bcrypt.getRounds(storedHash) < cost }
}
