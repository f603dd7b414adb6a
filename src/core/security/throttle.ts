import type { Database } from '../db/client'
import { latestBlock, reserveAttempt, settleKeys, type ThrottleRule } from './throttle-queries'
import { subscriberPrefix } from './addresses'
import { hmacSha256Hex } from './digest'

const MINUTE = 60
const HOUR = 3600

// ASVS 6.3.1 / NIST SP 800-63B-4 3.2.2: slow guessing without letting anyone lock an owner out.
// From a browser that never signed in to the account, attempts count first per email *and*
// subscriber (IPv4 address or IPv6 /64) and per subscriber across emails (credential stuffing);
// only an attempt both allow counts per account from anywhere, where past 10 a day each further
// one waits twice as long as the last (1 s up to a minute): a botnet gets at most about one guess
// a minute, the owner from an unknown browser waits at most that, and an attacker's refused
// attempts never count against the account. From a known device (device.ts) attempts count per
// device only. After a success the account's, pair's and device's counts start over, and the
// shared one gets its attempt back, so a household that signs in often is never slowed.
const PAIR = { limit: 5, windowSeconds: 15 * MINUTE, kind: 'window', onSuccess: 'forget' } as const
const SUBSCRIBER = {
  limit: 50,
  windowSeconds: 15 * MINUTE,
  kind: 'window',
  onSuccess: 'refund',
} as const
const DEVICE = {
  limit: 10,
  windowSeconds: 15 * MINUTE,
  kind: 'window',
  onSuccess: 'forget',
} as const
const ACCOUNT = {
  limit: 10,
  windowSeconds: 24 * HOUR,
  kind: 'delay',
  maxDelaySeconds: 60,
  onSuccess: 'forget',
} as const

// OWASP Forgot Password Cheat Sheet: limit how much mail one address receives and one client
// causes, so nobody can flood an inbox or use the app to spam. Refusals are answered like success.
// The recipient's allowance is counted per client (3 an hour) and overall (12 an hour), and only
// once the client's own allowance let the message through: one client can never use up what the
// owner's own request needs, and the owner's own session or known device skips the overall count,
// which several clients together could.
const MAIL_RECIPIENT_FROM_CLIENT = {
  limit: 3,
  windowSeconds: HOUR,
  kind: 'window',
  onSuccess: 'refund',
} as const
const MAIL_RECIPIENT = {
  limit: 12,
  windowSeconds: HOUR,
  kind: 'window',
  onSuccess: 'refund',
} as const
const MAIL_CLIENT = { limit: 10, windowSeconds: HOUR, kind: 'window', onSuccess: 'refund' } as const

/** A throttle rule with what a success does to its count. */
export interface Rule extends ThrottleRule {
  onSuccess: 'forget' | 'refund'
}

/** A rule without its key: what a feature declares for a throttle of its own. */
export type Limit = Omit<Rule, 'keyHash'>

/** A reservation could not be written: the attempt is refused, never verified unthrottled. */
export class ThrottleUnavailableError extends Error {
  override name = 'ThrottleUnavailableError'
}

export type Reservation =
  { allowed: true; rules: Rule[] } | { allowed: false; retryAfterSeconds: number }

const signers = new Map<string, ReturnType<typeof hmacSha256Hex>>()

/**
 * Keyed hashes (HMAC-SHA-256 under the session secret, imported once per isolate) name throttle
 * keys and audit-log clients, so neither the table nor the logs can be reversed by guessing.
 */
export function keyedHash(secret: string): ReturnType<typeof hmacSha256Hex> {
  let signer = signers.get(secret)
  if (!signer) signers.set(secret, (signer = hmacSha256Hex(secret)))
  return signer
}

/** The key of the account-wide rule for this (normalised) email; account deletion forgets it. */
export async function accountThrottleKey(secret: string, email: string): Promise<string> {
  return (await keyedHash(secret))(`account\n${email}`)
}

/**
 * The stages of one sign-in attempt with this (normalised) email from this client address, in the
 * order they are reserved (`reserveInOrder`): from a known device (its id from `knownDevice`) only
 * the device's count; otherwise the pair's and the subscriber's, then the account's.
 */
export async function signInStages(
  secret: string,
  email: string,
  address: string,
  deviceId?: string,
): Promise<Rule[][]> {
  const hash = await keyedHash(secret)
  if (deviceId) return [[{ keyHash: await hash(`device\n${deviceId}`), ...DEVICE }]]
  const subscriber = subscriberPrefix(address)
  const first = await Promise.all([
    hash(`pair\n${email}\n${subscriber}`).then((keyHash) => ({ keyHash, ...PAIR })),
    hash(`address\n${subscriber}`).then((keyHash) => ({ keyHash, ...SUBSCRIBER })),
  ])
  const account = { keyHash: await accountThrottleKey(secret, email), ...ACCOUNT }
  return [first, [account]]
}

/**
 * A feature's own rule, keyed per subscriber (an IPv4 address or an IPv6 /64) under `name`: for
 * example signup's, 10 an hour from one address.
 */
export async function subscriberRule(
  secret: string,
  name: string,
  address: string,
  limit: Limit,
): Promise<Rule> {
  const hash = await keyedHash(secret)
  return { keyHash: await hash(`${name}\n${subscriberPrefix(address)}`), ...limit }
}

/**
 * The stages of sending one message to `recipient` (normalised) because of this client address: the
 * client's allowance first, then the recipient's from this client, then the recipient's overall:
 * each only once the one before allowed the message, so no refusal spends the next. Without an address
 * (no CF-Connecting-IP: only a developer's own wrangler dev) every request would share one client,
 * so only the recipient is counted. `fromOwner` (the recipient's own session or known device) skips
 * the overall count: a few addresses (four IPv6 /64s) can use it up, and must not silence the owner.
 */
export async function mailStages(
  secret: string,
  recipient: string,
  address: string,
  fromOwner = false,
) {
  const hash = await keyedHash(secret)
  const fromClient = hash(`mail-from\n${recipient}\n${subscriberPrefix(address)}`).then(
    (keyHash): Rule => ({ keyHash, ...MAIL_RECIPIENT_FROM_CLIENT }),
  )
  const overall = hash(`mail\n${recipient}`).then((keyHash): Rule => ({
    keyHash,
    ...MAIL_RECIPIENT,
  }))
  if (address === 'unknown') return [[await overall]]
  const client = await hash(`mail-client\n${subscriberPrefix(address)}`)
  const stages = [[{ keyHash: client, ...MAIL_CLIENT }], [await fromClient]]
  return fromOwner ? stages : [...stages, [await overall]]
}

function refuses(rule: ThrottleRule, attempt: number) {
  return attempt === 0 || (rule.kind === 'window' && attempt > rule.limit)
}

/**
 * Reserves an attempt on every rule at once (one round trip). Refused when any rule is over its
 * limit or blocked; the answer then says how long to wait. Throws `ThrottleUnavailableError` when
 * the reservation cannot be written.
 */
export async function reserve(db: Database, rules: Rule[], now = new Date()): Promise<Reservation> {
  const attempts = await Promise.all(rules.map((rule) => reserveAttempt(db, rule, now))).catch(
    (err: unknown) => {
      throw new ThrottleUnavailableError('throttle reservation failed', { cause: err })
    },
  )
  return reservationOf(db, rules, attempts, now)
}

/**
 * The reservation that these attempt numbers (one per rule, as `reserveAttempt` returns them) make:
 * for a reservation made another way (`reserveAttemptFrom`, keyed by a row the database found).
 */
export async function reservationOf(
  db: Database,
  rules: Rule[],
  attempts: number[],
  now = new Date(),
): Promise<Reservation> {
  const refused = rules.filter((rule, i) => refuses(rule, attempts[i]!))
  if (refused.length === 0) return { allowed: true, rules }
  const until = await latestBlock(
    db,
    refused.map((r) => r.keyHash),
    now,
  )
  const seconds = until ? Math.ceil((until.getTime() - now.getTime()) / 1000) : 1
  return { allowed: false, retryAfterSeconds: Math.max(1, seconds) }
}

/**
 * Reserves the stages one after another: a stage is reserved only once every stage before it
 * allowed the attempt, so a refusal never counts against the keys after it (the account's, the
 * recipient's). `lookup` runs beside the first stage, in its round trip. With `needsLater` false
 * (say, no account has this address) the later stages are skipped: nothing of nobody's to count.
 */
export async function reserveInOrder<T>(
  db: Database,
  stages: Rule[][],
  lookup: Promise<T>,
  needsLater: (found: T) => boolean = () => true,
  now = new Date(),
): Promise<[Reservation, T]> {
  const [first, found] = await Promise.all([reserve(db, stages[0] ?? [], now), lookup])
  if (!first.allowed || !needsLater(found)) return [first, found]
  const rules = [...first.rules]
  for (const stage of stages.slice(1)) {
    const next = await reserve(db, stage, now)
    if (!next.allowed) return [next, found]
    rules.push(...next.rules)
  }
  return [{ allowed: true, rules }, found]
}

/** Settles a reservation whose attempt succeeded (see each rule's `onSuccess`). */
export async function succeeded(db: Database, rules: Rule[]) {
  const keys = (what: Rule['onSuccess']) =>
    rules.filter((r) => r.onSuccess === what).map((r) => r.keyHash)
  await settleKeys(db, keys('forget'), keys('refund'))
}
