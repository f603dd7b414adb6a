import { logEvent } from '../security/log'
// Breached-password check against the Have I Been Pwned range API (ASVS 6.2.12, NIST SP 800-63B-4
// 3.1.1.2), with k-anonymity: only the first 5 hex characters of the password's SHA-1 leave the
// Worker; the suffixes that come back are compared here.

const encoder = new TextEncoder()
const RESPONSE_LINE = /^([0-9A-F]{35}):(\d+)$/i

/** Why a check could not be answered; the caller logs it and lets the password through. */
export type PwnedUnavailableReason = 'timeout' | 'network' | 'status' | 'malformed'

export interface PwnedCheckOptions {
  /** Origin of the range API: `https://api.pwnedpasswords.com`, or the local stand-in's URL. */
  baseUrl: string
  /** Defaults to the global fetch; a service binding's fetch also fits. */
  fetch?: typeof fetch
  /** Gives up after this long, request and body included. */
  timeoutMs: number
  /** Told why when the answer is 'unavailable' (once per failed request). */
  onUnavailable?: (reason: PwnedUnavailableReason) => void
}

async function sha1Hex(text: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-1', encoder.encode(text)))
  return [...digest]
    .map((b) => b.toString(16).padStart(2, '0'))
    .join('')
    .toUpperCase()
}

function reasonOf(err: unknown): PwnedUnavailableReason {
  const name = err instanceof Error ? err.name : ''
  return name === 'TimeoutError' || name === 'AbortError' ? 'timeout' : 'network'
}

async function rangeContains(
  hash: string,
  options: PwnedCheckOptions,
): Promise<boolean | PwnedUnavailableReason> {
  const doFetch = options.fetch ?? fetch
  const prefix = hash.slice(0, 5)
  const suffix = hash.slice(5)
  let body: string
  try {
    const response = await doFetch(`${options.baseUrl.replace(/\/+$/, '')}/range/${prefix}`, {
      // Padding makes every answer 800-1000 lines long, so its size does not hint at the prefix.
      headers: { 'Add-Padding': 'true', 'User-Agent': 'edge-auth' },
      signal: AbortSignal.timeout(options.timeoutMs),
    })
    if (response.status !== 200) {
      await response.body?.cancel()
      return 'status'
    }
    body = await response.text()
  } catch (err) {
    return reasonOf(err)
  }
  let found = false
  for (const line of body.split('\n')) {
    const trimmed = line.trim()
    if (trimmed === '') continue
    const match = RESPONSE_LINE.exec(trimmed)
    if (!match) return 'malformed'
    // Padding lines carry count 0: a decoy, not a breach.
    if (match[1]!.toUpperCase() === suffix && Number(match[2]) > 0) found = true
  }
  return found
}

/**
 * True when the password appears in the breach corpus, false when it does not, 'unavailable' when
 * the range API could not answer in time (fail open: the caller logs and accepts the password).
 * Both the password as received and its NFKC form are checked when they differ: the corpus holds raw
 * passwords, and this app verifies the NFKC form, so a corpus entry matching either would sign in.
 * Never throws, whatever the string (lone surrogates become U+FFFD in UTF-8).
 */
export async function isPwned(
  password: string,
  options: PwnedCheckOptions,
): Promise<boolean | 'unavailable'> {
  const forms = new Set([password, password.normalize('NFKC')])
  const results = await Promise.all(
    [...forms].map(async (form) => rangeContains(await sha1Hex(form), options)),
  )
  if (results.includes(true)) return true
  const failures = results.filter((r): r is PwnedUnavailableReason => typeof r === 'string')
  for (const reason of failures) options.onUnavailable?.(reason)
  return failures.length > 0 ? 'unavailable' : false
}

/**
 * Fields for the log line of an unanswered check (ASVS 16.3.1): the reason and the API's host only;
 * never the password, its hash or the prefix sent, which would narrow the password down. Use as
 * `onUnavailable: (r) => logEvent('warn', 'pwned_check_unavailable', pwnedUnavailableLogFields(r, url))`.
 */
export function pwnedUnavailableLogFields(
  reason: PwnedUnavailableReason,
  baseUrl: string,
): { reason: PwnedUnavailableReason; host: string } {
  let host = 'invalid-url'
  try {
    host = new URL(baseUrl).host
  } catch {}
  return { reason, host }
}

/**
 * The message to show when a new password is in the breach corpus, or null (ASVS 6.2.12). An
 * unanswered check fails open with a log line: an outage of the range API must not stop signups.
 * `baseUrl` '' turns the check off.
 */
export async function breachedPasswordMessage(
  password: string,
  baseUrl: string,
  timeoutMs = 2000,
): Promise<string | null> {
  if (!baseUrl) return null
  const pwned = await isPwned(password, {
    baseUrl,
    timeoutMs,
    onUnavailable: (r) =>
      logEvent('warn', 'pwned_check_unavailable', pwnedUnavailableLogFields(r, baseUrl)),
  })
  return pwned === true
    ? 'This password has appeared in a data breach, so attackers try it first. Choose another.'
    : null
}
