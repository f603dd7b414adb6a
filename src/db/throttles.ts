import { and, inArray, lt, sql } from 'drizzle-orm'
import { retryOnDeadlock, type Database } from './client'
import { loginThrottles } from './schema'

export interface ThrottleRule {
  keyHash: string
  /** Failures allowed in one window before the key is blocked. */
  limit: number
  windowSeconds: number
  blockSeconds: number
}

/** The latest `blocked_until` still in the future among these keys, if any. */
export async function blockedUntil(db: Database, keyHashes: string[], now: Date) {
  const rows = await db
    .select({ keyHash: loginThrottles.keyHash, blockedUntil: loginThrottles.blockedUntil })
    .from(loginThrottles)
    .where(inArray(loginThrottles.keyHash, keyHashes))
  const until = rows.map((r) => r.blockedUntil?.getTime() ?? 0).reduce((a, b) => Math.max(a, b), 0)
  return {
    until: until > now.getTime() ? new Date(until) : undefined,
    known: rows.map((r) => r.keyHash),
  }
}

/**
 * Counts one failure for each key, atomically in SQL so parallel attempts cannot undercount: the
 * window restarts once it is over, and reaching the limit blocks the key. MySQL and MariaDB evaluate
 * the assignments left to right, each seeing the ones before it.
 */
export async function recordFailure(db: Database, rules: ThrottleRule[], now: Date) {
  const record = async (rule: ThrottleRule) => {
    const windowStart = new Date(now.getTime() - rule.windowSeconds * 1000)
    const blockEnd = new Date(now.getTime() + rule.blockSeconds * 1000)
    const upsert = () =>
      db
        .insert(loginThrottles)
        .values({ keyHash: rule.keyHash, failures: 1, windowStartedAt: now, blockedUntil: null })
        .onDuplicateKeyUpdate({
          set: {
            failures: sql`if(${loginThrottles.windowStartedAt} < ${windowStart}, 1, ${loginThrottles.failures} + 1)`,
            windowStartedAt: sql`if(${loginThrottles.windowStartedAt} < ${windowStart}, ${now}, ${loginThrottles.windowStartedAt})`,
            blockedUntil: sql`if(${loginThrottles.failures} >= ${rule.limit}, ${blockEnd}, ${loginThrottles.blockedUntil})`,
          },
        })
    await retryOnDeadlock(upsert)
  }
  // Different keys, so the statements do not contend: one round trip of latency, not one per key.
  await Promise.all(rules.map(record))
}

/** Forgets the failures of these keys (after a successful login from the same place). */
export async function clearThrottles(db: Database, keyHashes: string[]) {
  if (keyHashes.length === 0) return
  await db.delete(loginThrottles).where(inArray(loginThrottles.keyHash, keyHashes))
}

/** Removes windows that ended long ago and carry no block. */
export async function purgeThrottles(db: Database, before: Date) {
  await db
    .delete(loginThrottles)
    .where(
      and(
        lt(loginThrottles.windowStartedAt, before),
        sql`(${loginThrottles.blockedUntil} is null or ${loginThrottles.blockedUntil} < ${before})`,
      ),
    )
}
