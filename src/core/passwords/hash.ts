import bcrypt from 'bcryptjs'
import { sha256Hex } from '../security/digest'
import { DUMMY_HASHES } from './dummy-hashes'
import {
  normalisePassword as normalise,
  PASSWORD_MAX_BYTES as BCRYPT_MAX_BYTES,
  utf8Length,
} from './rules'

const LEGACY_SHA256 = /^[0-9a-f]{64}$/i
/**
 * Prefix of a legacy SHA-256 hex digest wrapped in bcrypt by `npm run db:migrate`. It cannot be taken
 * for a bcrypt hash (those start with `$2`) nor for a raw digest (hex only); 14 + 60 characters fit
 * `pass_word` VARCHAR(255).
 */
export const WRAPPED_SHA256_PREFIX = 'sha256-bcrypt:'

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
