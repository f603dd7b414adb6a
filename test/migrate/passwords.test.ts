import { createHash } from 'node:crypto'
import bcrypt from 'bcryptjs'
import { describe, expect, it } from 'vitest'
import {
  WRAPPED_SHA256_PREFIX,
  hashPassword,
  isRawLegacyDigest,
  verifyPassword,
  wrapLegacyDigest,
} from '../../src/core/passwords/hash'

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex')

describe('password hash formats', () => {
  it('wraps a digest in a form neither bcrypt nor raw-digest checks mistake for their own', () => {
    const wrapped = wrapLegacyDigest(sha256('legacy password'), 4)
    expect(wrapped.startsWith(WRAPPED_SHA256_PREFIX)).toBe(true)
    expect(wrapped).not.toMatch(/^\$2/)
    expect(isRawLegacyDigest(wrapped)).toBe(false)
    expect(wrapped.length).toBeLessThanOrEqual(255) // pass_word is VARCHAR(255)
  })

  it('verifies a wrapped digest from the raw password, not its NFKC form', async () => {
    // 'ﬁ' (U+FB01) becomes 'fi' under NFKC: the old app hashed the characters as typed.
    const password = 'ﬁne legacy password'
    const wrapped = wrapLegacyDigest(sha256(password), 4)
    expect(await verifyPassword(password, wrapped, 4)).toEqual({ ok: true, needsRehash: true })
    expect((await verifyPassword('fine legacy password', wrapped, 4)).ok).toBe(false)
  })

  it('accepts an uppercase raw digest and refuses a wrong password against it', async () => {
    const digest = sha256('hand adopted').toUpperCase()
    expect(await verifyPassword('hand adopted', digest, 4)).toEqual({ ok: true, needsRehash: true })
    expect(await verifyPassword('hand adopted!', digest, 4)).toEqual({
      ok: false,
      needsRehash: false,
    })
  })

  it('keeps a password past 72 bytes on its legacy form (plain bcrypt would truncate it)', async () => {
    const long = 'x'.repeat(73)
    expect(await verifyPassword(long, sha256(long), 4)).toEqual({ ok: true, needsRehash: false })
    const wrapped = wrapLegacyDigest(sha256(long), 4)
    expect(await verifyPassword(long, wrapped, 4)).toEqual({ ok: true, needsRehash: false })
    // Same 72-byte prefix, different password: refused, as bcrypt alone would not.
    expect((await verifyPassword(`${'x'.repeat(72)}y`, wrapped, 4)).ok).toBe(false)
  })

  it('asks for a rehash of a bcrypt hash below the configured cost, and only then', async () => {
    const hash = hashPassword('a passphrase at cost four', 4)
    expect(bcrypt.getRounds(hash)).toBe(4)
    expect(await verifyPassword('a passphrase at cost four', hash, 5)).toEqual({
      ok: true,
      needsRehash: true,
    })
    expect(await verifyPassword('a passphrase at cost four', hash, 4)).toEqual({
      ok: true,
      needsRehash: false,
    })
    expect(await verifyPassword('another passphrase', hash, 5)).toEqual({
      ok: false,
      needsRehash: false,
    })
  })
})
