import type { Context } from 'hono'
import { blockedUntil, clearThrottles, recordFailure, type ThrottleRule } from '../db/throttles'
import type { AppEnv } from '../env'
import { hmacSha256Hex } from './digest'

const MINUTE = 60

// ASVS 6.3.1 / NIST SP 800-63B-4 3.2.2: slow guessing without letting anyone lock an owner out.
// Failures count per email *and* client address, so an attacker elsewhere cannot block the owner;
// a looser per-address rule catches one address trying many emails (credential stuffing).
const PER_ACCOUNT_AND_ADDRESS = { limit: 5, windowSeconds: 15 * MINUTE, blockSeconds: 15 * MINUTE }
const PER_ADDRESS = { limit: 50, windowSeconds: 15 * MINUTE, blockSeconds: 15 * MINUTE }

/** Login throttling for one attempt: check before verifying, then record the outcome. */
export async function loginThrottle(c: Context<AppEnv>, email: string) {
  const { db, config } = c.var
  // Cloudflare sets CF-Connecting-IP and clients cannot override it on the edge.
  const address = c.req.header('CF-Connecting-IP') ?? 'unknown'
  // Keyed, so the table cannot be reversed into emails and addresses by guessing.
  const keyHash = await hmacSha256Hex(config.sessionSecret)
  const rules: ThrottleRule[] = [
    {
      keyHash: await keyHash(`pair\n${email}\n${address}`),
      ...PER_ACCOUNT_AND_ADDRESS,
    },
    { keyHash: await keyHash(`address\n${address}`), ...PER_ADDRESS },
  ]
  const now = new Date()
  return {
    /** Reads both keys; `until` is set while either is blocked. */
    check: () =>
      blockedUntil(
        db,
        rules.map((r) => r.keyHash),
        now,
      ),
    failed: () => recordFailure(db, rules, now),
    /** A success from this address clears its email's count, but not the address-wide one. */
    succeeded: (known: string[]) =>
      clearThrottles(
        db,
        known.filter((k) => k === rules[0]!.keyHash),
      ),
  }
}
