import { and, inArray, lt, sql, type SQL } from 'drizzle-orm'
import { preparedOnce, retryOnDeadlock, type Database } from '../db/client'
import { loginThrottles as t } from './tables'

export interface ThrottleRule {
  keyHash: string
  /** Attempts allowed in one window before the next are refused (`window`) or slowed (`delay`). */
  limit: number
  windowSeconds: number
  /**
   * `window`: over the limit, refuse until the window ends. `delay`: over the limit, each attempt
   * makes the next wait twice as long as the one before, up to `maxDelaySeconds`; never a lockout.
   */
  kind: 'window' | 'delay'
  maxDelaySeconds?: number
}

/**
 * Reserves one attempt for a key in a single atomic statement, before any password is checked, so a
 * parallel burst cannot outrun the count. Returns the attempt's number in the window, or 0 when the
 * key was already blocked (the attempt is then not counted, so a block is never extended by the
 * attempts it refuses). The number travels back through LAST_INSERT_ID(expr), which MySQL, MariaDB
 * and PlanetScale report as the statement's insert id. MySQL and MariaDB apply the assignments left
 * to right, each seeing the ones before it.
 */
export async function reserveAttempt(db: Database, rule: ThrottleRule, now: Date): Promise<number> {
  const result = await retryOnDeadlock(() =>
    reserveAttemptQuery(db, rule.kind).execute({
      keyHash: rule.keyHash,
      now,
      windowStart: new Date(now.getTime() - rule.windowSeconds * 1000),
      windowSeconds: rule.windowSeconds,
      limit: rule.limit,
      maxDelaySeconds: rule.maxDelaySeconds ?? 60,
    }),
  )
  return Number(result.insertId)
}

const reserveAttemptQuery = preparedOnce((db, kind: ThrottleRule['kind']) =>
  db
    .insert(t)
    .values({
      keyHash: sql.placeholder('keyHash'),
      failures: sql`last_insert_id(1)`,
      windowStartedAt: sql.placeholder('now'),
      blockedUntil: null,
    })
    .onDuplicateKeyUpdate({ set: reservationSet(kind, placeholders) })
    .prepare(),
)

type ReservationValues = Record<
  'now' | 'limit' | 'windowStart' | 'windowSeconds' | 'maxDelaySeconds',
  unknown
>
const placeholders = Object.fromEntries(
  ['now', 'limit', 'windowStart', 'windowSeconds', 'maxDelaySeconds'].map((k) => [
    k,
    sql.placeholder(k),
  ]),
) as ReservationValues

/** What an existing key's row becomes when an attempt is reserved (see `reserveAttempt`). */
function reservationSet(kind: ThrottleRule['kind'], v: ReservationValues) {
  const blocked = sql`${t.blockedUntil} > ${v.now}`
  const blockEnd =
    kind === 'window'
      ? sql`date_add(${t.windowStartedAt}, interval ${v.windowSeconds} second)`
      : sql`date_add(${v.now}, interval least(power(2, least(cast(${t.failures} as signed) - ${v.limit} - 1, 20)), ${v.maxDelaySeconds}) second)`
  // drizzle writes the assignments in the table's column order, which is the order here.
  return {
    failures: sql`if(${blocked}, ${t.failures} + 0 * last_insert_id(0),
          last_insert_id(if(${t.windowStartedAt} < ${v.windowStart}, 1, ${t.failures} + 1)))`,
    windowStartedAt: sql`if(${blocked}, ${t.windowStartedAt},
          if(${t.failures} = 1, ${v.now}, ${t.windowStartedAt}))`,
    blockedUntil: sql`if(${blocked}, ${t.blockedUntil},
          if(${t.failures} > ${v.limit}, ${blockEnd}, null))`,
  }
}

/**
 * `reserveAttempt` for a key the database derives from a row it finds (INSERT … SELECT), for a
 * throttle keyed by something the request learns only from that row (the second step of a sign-in:
 * the account of the pending sign-in its cookie names). The attempt is counted only when `source`
 * finds its row, in the same atomic statement, so it can run beside the read of that row rather
 * than after it. Returns the attempt's number, or 0 when the key is blocked or nothing was found.
 */
export async function reserveAttemptFrom(
  db: Database,
  rule: Omit<ThrottleRule, 'keyHash'>,
  source: { key: SQL; from: SQL },
  now: Date,
): Promise<number> {
  const values: ReservationValues = {
    now,
    limit: rule.limit,
    windowStart: new Date(now.getTime() - rule.windowSeconds * 1000),
    windowSeconds: rule.windowSeconds,
    maxDelaySeconds: rule.maxDelaySeconds ?? 60,
  }
  const set = reservationSet(rule.kind, values)
  const result = await retryOnDeadlock(() =>
    db.execute(sql`insert into ${t} (${sql.raw('key_hash, failures, window_started_at, blocked_until')})
      select ${source.key}, last_insert_id(1), ${now}, null ${source.from}
      on duplicate key update ${t.failures} = ${set.failures},
        ${t.windowStartedAt} = ${set.windowStartedAt}, ${t.blockedUntil} = ${set.blockedUntil}`),
  )
  return Number(result.insertId)
}

/** The latest block still in force among these keys, if any. */
export async function latestBlock(db: Database, keyHashes: string[], now: Date) {
  const rows = await db
    .select({ blockedUntil: t.blockedUntil })
    .from(t)
    .where(inArray(t.keyHash, keyHashes))
  const until = Math.max(0, ...rows.map((r) => r.blockedUntil?.getTime() ?? 0))
  return until > now.getTime() ? new Date(until) : undefined
}

// Statements over n keys take placeholders k0 .. k(n-1); a sign-in always passes the same n.
const keyPlaceholders = (n: number) => Array.from({ length: n }, (_, i) => sql.placeholder(`k${i}`))
const placeholderValues = (keys: string[]) => Object.fromEntries(keys.map((k, i) => [`k${i}`, k]))

/** Deletes these keys inside a transaction (account deletion), where no statement is prepared. */
export async function deleteKeys(tx: Pick<Database, 'delete'>, keyHashes: string[]) {
  if (keyHashes.length > 0) await tx.delete(t).where(inArray(t.keyHash, keyHashes))
}

/**
 * Settles a success in one statement: the `forget` keys start over (no count, no block: the next
 * reservation opens a fresh window, as for a new row), the `refund` keys get one attempt back.
 * Rows stay for the cron's purge, so a sign-in writes once here rather than deleting and updating.
 */
export async function settleKeys(db: Database, forget: string[], refund: string[]) {
  if (forget.length + refund.length === 0) return
  const query = settleKeysQuery(db, `${forget.length},${refund.length}`)
  const values = placeholderValues([...forget, ...refund])
  await retryOnDeadlock(() => query.execute(values))
}

const settleKeysQuery = preparedOnce((db, shape: string) => {
  const [forgetCount, refundCount] = shape.split(',').map(Number) as [number, number]
  const all = keyPlaceholders(forgetCount + refundCount)
  const refunds = all.slice(forgetCount)
  const isRefund = refunds.length
    ? sql`${t.keyHash} in (${sql.join(refunds, sql`, `)})`
    : sql`false`
  return db
    .update(t)
    .set({
      failures: sql`if(${isRefund}, if(${t.failures} > 0, ${t.failures} - 1, 0), 0)`,
      blockedUntil: sql`if(${isRefund}, ${t.blockedUntil}, null)`,
    })
    .where(inArray(t.keyHash, all))
    .prepare()
})

/** Removes windows that ended long ago and carry no block. */
export async function purgeThrottles(db: Database, before: Date) {
  await db
    .delete(t)
    .where(
      and(
        lt(t.windowStartedAt, before),
        sql`(${t.blockedUntil} is null or ${t.blockedUntil} < ${before})`,
      ),
    )
}
