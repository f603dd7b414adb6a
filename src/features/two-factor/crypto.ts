import { ConfigError } from '../../core/config'
import { decodeBase64urlIgnorePadding, encodeBase64urlNoPadding } from '@oslojs/encoding'
import type { TotpKey } from '../../core/config'

// The authenticator-app key must be read back, so it is encrypted rather than hashed (DESIGN
// "Factors"; ASVS 11.3.2: an approved AEAD): AES-256-GCM under TOTP_ENCRYPTION_KEY, a fresh 96-bit
// IV each time, and associated data naming the purpose, the user and the key version, so a
// ciphertext copied to another user's row (or another purpose) fails to open. Stored as
// `VERSION.IV.CIPHERTEXT` (base64url): the version says which key of the list opens it.

const imported = new WeakMap<Uint8Array, Promise<CryptoKey>>()

function cryptoKey(key: TotpKey): Promise<CryptoKey> {
  let found = imported.get(key.raw)
  if (!found) {
    found = crypto.subtle.importKey('raw', key.raw, 'AES-GCM', false, ['encrypt', 'decrypt'])
    imported.set(key.raw, found)
  }
  return found
}

const associated = (purpose: string, userId: number, version: number) =>
  new TextEncoder().encode(`${purpose}\n${userId}\n${version}`)

/** Encrypts `plain` for `userId` under the current key (the list's first). */
export async function seal(
  keys: readonly TotpKey[],
  purpose: string,
  userId: number,
  plain: Uint8Array,
): Promise<string> {
  const key = keys[0]
  if (!key) throw new ConfigError('TOTP_ENCRYPTION_KEY is not set')
  const iv = crypto.getRandomValues(new Uint8Array(12))
  const additionalData = associated(purpose, userId, key.version)
  const sealed = await crypto.subtle.encrypt(
    { name: 'AES-GCM', iv, additionalData },
    await cryptoKey(key),
    plain,
  )
  return `${key.version}.${encodeBase64urlNoPadding(iv)}.${encodeBase64urlNoPadding(new Uint8Array(sealed))}`
}

/** Opens what `seal` made for this purpose and user; undefined for anything else or a lost key. */
export async function open(
  keys: readonly TotpKey[],
  purpose: string,
  userId: number,
  text: string,
): Promise<Uint8Array | undefined> {
  const match = /^(\d{1,3})\.([A-Za-z0-9_-]{16})\.([A-Za-z0-9_-]{22,200})$/.exec(text)
  const key = match && keys.find((k) => k.version === Number(match[1]))
  if (!match || !key) return undefined
  try {
    const plain = await crypto.subtle.decrypt(
      {
        name: 'AES-GCM',
        iv: decodeBase64urlIgnorePadding(match[2]!),
        additionalData: associated(purpose, userId, key.version),
      },
      await cryptoKey(key),
      decodeBase64urlIgnorePadding(match[3]!),
    )
    return new Uint8Array(plain)
  } catch {
    return undefined
  }
}

/** Whether `text` was sealed under the current key (the list's first): else re-seal it on use. */
export function sealedUnderCurrent(keys: readonly TotpKey[], text: string): boolean {
  return text.startsWith(`${keys[0]?.version}.`)
}
