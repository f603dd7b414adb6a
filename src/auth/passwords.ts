import bcrypt from 'bcryptjs'
import { COMMON_PASSWORDS } from './common-passwords'
import { DUMMY_HASHES } from './dummy-hashes'

/** bcrypt reads at most 72 bytes; bcryptjs silently ignores the rest. */
const BCRYPT_MAX_BYTES = 72

const encoder = new TextEncoder()
const LEGACY_SHA256 = /^[0-9a-f]{64}$/i

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

async function legacySha256Matches(password: string, hexDigest: string): Promise<boolean> {
  // The legacy app stored unsalted SHA-256 of the raw UTF-8 password.
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', encoder.encode(password)))
  const expected = hexDigest.toLowerCase()
  let diff = 0
  for (let i = 0; i < digest.length; i++) {
    diff |= digest[i]! ^ parseInt(expected.slice(i * 2, i * 2 + 2), 16)
  }
  return diff === 0
}

export interface Verification {
  ok: boolean
  /** True when the stored hash is legacy or below the configured cost and can be replaced now. */
  needsRehash: boolean
}

/**
 * Verifies a password against a stored bcrypt hash or a legacy SHA-256 hex digest.
 * Passing no hash spends one compare against a dummy hash, so unknown accounts take as long (ASVS 6.3.8).
 */
export async function verifyPassword(
  password: string,
  storedHash: string | undefined,
  cost: number,
): Promise<Verification> {
  const normalised = normalise(password)
  const fitsBcrypt = utf8Length(normalised) <= BCRYPT_MAX_BYTES
  if (storedHash && LEGACY_SHA256.test(storedHash)) {
    const ok = await legacySha256Matches(password, storedHash)
    return { ok, needsRehash: ok && fitsBcrypt }
  }
  if (!storedHash || !fitsBcrypt) {
    // A password past 72 bytes can never have been set here; comparing it would verify its prefix.
    bcrypt.compareSync(
      normalised.slice(0, BCRYPT_MAX_BYTES),
      DUMMY_HASHES[cost] ?? DUMMY_HASHES[10]!,
    )
    return { ok: false, needsRehash: false }
  }
  const ok = bcrypt.compareSync(normalised, storedHash)
  return { ok, needsRehash: ok && bcrypt.getRounds(storedHash) < cost }
}
