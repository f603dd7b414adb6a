import { encodeBase32LowerCaseNoPadding } from '@oslojs/encoding'
import type { Database } from '../db/client'
import {
  deleteSecret,
  deleteUserSecretRows,
  findSecret,
  purgeSecretRows,
  replaceSecret,
  replaceSecretUnder,
} from './secret-queries'
import { sha256Hex } from './digest'

/** What a secret looks like when handed out, so anything else is refused without a statement. */
export interface SecretShape {
  make(): string
  fits(text: string): boolean
}

// 160 bits from the CSPRNG (ASVS 7.2.3 asks for at least 128), base32 so a link survives mail
// clients that change case or wrap lines at odd places.
const LINK_BYTES = 20
const LINK_PATTERN = /^[a-z2-7]{32}$/

/**
 * `length` characters of `alphabet` from the CSPRNG, each equally likely: a byte at or above the
 * largest multiple of the alphabet's size is drawn again, so no character is favoured by `%`.
 */
export function randomCode(alphabet: string, length: number): string {
  const limit = 256 - (256 % alphabet.length)
  let code = ''
  while (code.length < length) {
    for (const byte of crypto.getRandomValues(new Uint8Array(length))) {
      if (byte < limit && code.length < length) code += alphabet[byte % alphabet.length]
    }
  }
  return code
}

/** The secret of a mailed link: 160 random bits in lower-case base32. */
export const LINK: SecretShape = {
  make: () => encodeBase32LowerCaseNoPadding(crypto.getRandomValues(new Uint8Array(LINK_BYTES))),
  fits: (text) => LINK_PATTERN.test(text),
}

/**
 * A kind of one-time secret, declared by the feature that uses it: its purpose (the table's
 * `purpose`, at most 16 characters: a secret of one purpose never serves another), its lifetime
 * (which views and mail word with `lifetimeInWords`) and its shape.
 */
export interface SecretKind {
  purpose: string
  lifetimeSeconds: number
  shape: SecretShape
}

/** "30 minutes", "60 minutes", "24 hours": a lifetime as the pages and messages word it. */
export function lifetimeInWords(seconds: number): string {
  if (seconds <= 3600) return `${Math.round(seconds / 60)} minutes`
  const hours = Math.round(seconds / 3600)
  return hours === 1 ? '1 hour' : `${hours} hours`
}

/**
 * Issues a one-time secret of `kind` for a user, replacing the user's earlier ones of that purpose
 * (a newer link replaces every earlier one: OWASP Forgot Password Cheat Sheet), and returns it.
 * Only its SHA-256 is stored (ASVS 6.4.1): the table cannot be replayed as links.
 */
export async function issueSecret(
  db: Database,
  kind: SecretKind,
  holder: { userId: number; newEmail?: string },
  now = new Date(),
): Promise<string> {
  const secret = kind.shape.make()
  await replaceSecret(db, secretRow(kind, await sha256Hex(secret), holder, now))
  return secret
}

/**
 * `issueSecret` for a secret the signed-in user's request starts (an email change): stored only
 * while the account's credential generation is still the session's, so a password change or reset
 * that lands meanwhile ends it too (`replaceSecretUnder`). Undefined when it was not stored.
 */
export async function issueSecretUnder(
  db: Database,
  kind: SecretKind,
  holder: { userId: number; newEmail?: string; generation: number },
  now = new Date(),
): Promise<string | undefined> {
  const secret = kind.shape.make()
  const row = secretRow(kind, await sha256Hex(secret), holder, now)
  return (await replaceSecretUnder(db, row, holder.generation)) ? secret : undefined
}

function secretRow(
  kind: SecretKind,
  tokenHash: string,
  holder: { userId: number; newEmail?: string },
  now: Date,
) {
  return {
    tokenHash,
    userId: holder.userId,
    purpose: kind.purpose,
    newEmail: holder.newEmail ?? null,
    createdAt: now,
    expiresAt: new Date(now.getTime() + kind.lifetimeSeconds * 1000),
  }
}

/** Whether a string could be a secret of this kind at all. */
export function fitsShape(kind: SecretKind, secret: string | undefined): secret is string {
  return secret !== undefined && kind.shape.fits(secret)
}

/** The live secret's holder, or undefined when it is unknown, expired, spent or of another kind. */
export async function peekSecret(db: Database, kind: SecretKind, secret: string, now = new Date()) {
  if (!fitsShape(kind, secret)) return undefined
  return findSecret(db, await sha256Hex(secret), kind.purpose, now)
}

/**
 * Spends a secret in one conditional statement (a DELETE by its hash): true only for the request
 * whose delete removed it, so two requests racing with one secret cannot both use it, whichever
 * isolate each runs in.
 */
export async function spendSecret(db: Pick<Database, 'delete'>, secret: string): Promise<boolean> {
  return deleteSecret(db, await sha256Hex(secret))
}

/** Ends every pending secret of a user (a credential change, account deletion). */
export function deleteUserSecrets(db: Pick<Database, 'delete'>, userId: number) {
  return deleteUserSecretRows(db, userId)
}

/** Removes expired secrets in batches until none are left; returns how many went. */
export function purgeExpiredSecrets(db: Database, now: Date) {
  return purgeSecretRows(db, now)
}
