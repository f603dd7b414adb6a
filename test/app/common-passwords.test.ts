import { dictionary } from '@zxcvbn-ts/language-common'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { KNOWN_BREACHED_PASSPHRASES } from '../../dev/pwned-range-corpus'
import {
  COMMON_PASSWORDS,
  commonPasswords,
  isCommonPassword,
} from '../../src/core/passwords/common'
import { COMMON_PASSWORD_COUNT } from '../../src/core/passwords/common.generated'
import { checkNewPassword } from '../../src/core/passwords/rules'

const TOO_COMMON = 'This password is too common. Choose another.'

/** zxcvbn's ranking of passwords of 8+ code points, in blocklist form, as the generator reads it. */
function rankedPolicyPasswords(): string[] {
  const forms = (dictionary['passwords-common'] as string[]).map((word) =>
    word.normalize('NFKC').toLowerCase(),
  )
  return [...new Set(forms.filter((word) => [...word].length >= 8))]
}

function randomPassphrase(length: number): string {
  const letters = 'abcdefghijklmnopqrstuvwxyz'
  const bytes = crypto.getRandomValues(new Uint8Array(length))
  return [...bytes].map((b) => letters[b % letters.length]).join('')
}

describe('common-password blocklist (ASVS 6.2.4)', () => {
  const ranked = rankedPolicyPasswords()

  it('holds at least the 3000 most common passwords of 8 or more characters', () => {
    expect(commonPasswords().size).toBe(COMMON_PASSWORD_COUNT)
    expect(commonPasswords().size).toBeGreaterThanOrEqual(3000)
    const missing = ranked.slice(0, 3000).filter((word) => !commonPasswords().has(word))
    expect(missing).toEqual([])
    expect(ranked[2999]).toBe('13101988')
    expect(isCommonPassword(ranked[2999]!)).toBe(true)
  })

  it('stops after the top 3000 for words under 15 characters, to stay small', () => {
    const next = ranked.slice(3000, 3100).filter((word) => word.length < 15)
    expect(next.length).toBeGreaterThan(90)
    expect(next.filter((word) => isCommonPassword(word))).toEqual([])
  })

  it('keeps every ranked password of 15 or more characters, the recommended minimum', () => {
    const long = ranked.filter((word) => [...word].length >= 15)
    expect(long.length).toBeGreaterThan(30)
    expect(long.filter((word) => !isCommonPassword(word))).toEqual([])
  })

  it('refuses the top-ranked word whatever its case or Unicode compatibility form', () => {
    expect(ranked[0]).toBe('password')
    for (const variant of ['password', 'PassWord', 'PASSWORD', 'ｐａｓｓｗｏｒｄ']) {
      expect(isCommonPassword(variant)).toBe(true)
      expect(checkNewPassword(variant, 8)).toBe(TOO_COMMON)
    }
    expect(checkNewPassword('PasswordPassword', 15)).toBe(TOO_COMMON)
    expect(checkNewPassword('Correct Horse Battery Staple', 15)).toBe(TOO_COMMON)
  })

  it('accepts a random 20-character passphrase and the long breached ones the range check catches', () => {
    const passphrase = randomPassphrase(20)
    expect(isCommonPassword(passphrase)).toBe(false)
    expect(checkNewPassword(passphrase, 15)).toBeNull()
    for (const phrase of KNOWN_BREACHED_PASSPHRASES) expect(isCommonPassword(phrase)).toBe(false)
  })

  it('never throws, whatever the string (lone surrogates included)', () => {
    const anyString = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 80 }),
      fc
        .array(fc.integer({ min: 0xd800, max: 0xdfff }), { maxLength: 20 })
        .map((codes) => 'password' + String.fromCharCode(...codes)),
    )
    fc.assert(
      fc.property(anyString, (password) => {
        expect(typeof isCommonPassword(password)).toBe('boolean')
        expect(typeof COMMON_PASSWORDS.has(password)).toBe('boolean')
      }),
      { numRuns: 2000 },
    )
  })
})
