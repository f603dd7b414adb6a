import { encodeBase32LowerCaseNoPadding } from '@oslojs/encoding'
import type { Database } from '../db/client'
import { deleteToken, findToken, replaceToken, type TokenPurpose } from '../db/tokens'
import { sha256Hex } from './digest'

export type { TokenPurpose } from '../db/tokens'

// 160 bits from the CSPRNG (ASVS 7.2.3 asks for at least 128), base32 so a link survives mail
// clients that change case or wrap lines at odd places.
const TOKEN_BYTES = 20
const TOKEN_SHAPE = /^[a-z2-7]{32}$/

/** Lifetimes besides the reset link's (RESET_TOKEN_MINUTES). */
export const VERIFY_TOKEN_SECONDS = 24 * 3600
export const EMAIL_CHANGE_TOKEN_SECONDS = 3600

/**
 * Issues a one-time token for `purpose`, replacing the user's earlier ones of that purpose, and
 * returns it for the link. Only its SHA-256 is stored (ASVS 6.4.1, OWASP Forgot Password Cheat
 * Sheet): the table cannot be replayed as links.
 */
export async function issueToken(
  db: Database,
  opts: {
    userId: number
    purpose: TokenPurpose
    ttlSeconds: number
    newEmail?: string
    now?: Date
  },
): Promise<string> {
  const now = opts.now ?? new Date()
  const token = encodeBase32LowerCaseNoPadding(crypto.getRandomValues(new Uint8Array(TOKEN_BYTES)))
  await replaceToken(db, {
    tokenHash: await sha256Hex(token),
    userId: opts.userId,
    purpose: opts.purpose,
    newEmail: opts.newEmail ?? null,
    createdAt: now,
    expiresAt: new Date(now.getTime() + opts.ttlSeconds * 1000),
  })
  return token
}

/** Whether a string could be a token at all: anything else is refused without a database call. */
export function isTokenShaped(token: string | undefined): token is string {
  return token !== undefined && TOKEN_SHAPE.test(token)
}

/** The live token's user, or undefined when it is unknown, expired, used or for another purpose. */
export async function peekToken(
  db: Database,
  token: string,
  purpose: TokenPurpose,
  now = new Date(),
) {
  if (!isTokenShaped(token)) return undefined
  return findToken(db, await sha256Hex(token), purpose, now)
}

/**
 * Spends a token that `peekToken` found: true only for the request whose delete removed it, so a
 * link raced from two tabs works once (single use).
 */
export async function spendToken(db: Database, token: string): Promise<boolean> {
  return deleteToken(db, await sha256Hex(token))
}

/**
 * Uses a token up: looks it up, then deletes it; only the request whose delete removed the row gets
 * the holder back (single use, even under a race).
 */
export async function consumeToken(
  db: Database,
  token: string,
  purpose: TokenPurpose,
  now = new Date(),
) {
  if (!isTokenShaped(token)) return undefined
  const tokenHash = await sha256Hex(token)
  const holder = await findToken(db, tokenHash, purpose, now)
  if (!holder) return undefined
  return (await deleteToken(db, tokenHash)) ? holder : undefined
}
