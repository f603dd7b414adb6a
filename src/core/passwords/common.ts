import { COMMON_PASSWORDS_FRONT_CODED } from './common.generated'

// The blocklist of ASVS 6.2.4 / NIST SP 800-63B-4 3.1.1.2: the 3000 most common passwords of 8 or more
// code points (the lowest minimum length the config allows), every ranked one of 15 or more, and
// the hand-picked words kept from before. Shipped front-coded (about 8.5 KiB gzipped, exact: no false
// positives) and decoded once per isolate on first use, never at module scope.
let decoded: ReadonlySet<string> | undefined

function decode(frontCoded: string): Set<string> {
  const words = new Set<string>()
  let word = ''
  let start = 0
  for (let i = 1; i <= frontCoded.length; i++) {
    const code = frontCoded.charCodeAt(i)
    // A letter A-Z (or the end) closes the word that began at `start`: its first letter said how
    // many characters it shares with the previous word.
    if (i < frontCoded.length && (code < 65 || code > 90)) continue
    word = word.slice(0, frontCoded.charCodeAt(start) - 65) + frontCoded.slice(start + 1, i)
    words.add(word)
    start = i
  }
  return words
}

/** Every blocklisted password, in blocklist form (NFKC, lower case); decoded once per isolate. */
export function commonPasswords(): ReadonlySet<string> {
  decoded ??= decode(COMMON_PASSWORDS_FRONT_CODED)
  return decoded
}

/** True when the password, NFKC-normalised and lower-cased, is on the blocklist (ASVS 6.2.4). */
export function isCommonPassword(password: string): boolean {
  return commonPasswords().has(password.normalize('NFKC').toLowerCase())
}

/** Lookup by a password already in blocklist form, as `checkNewPassword` passes it. */
export const COMMON_PASSWORDS: Pick<ReadonlySet<string>, 'has'> = {
  has: (lowerCasedNfkc) => commonPasswords().has(lowerCasedNfkc),
}
