import { Client, DatabaseError } from '@planetscale/database'
import { sql, type SQL } from 'drizzle-orm'
import type { MySqlTable } from 'drizzle-orm/mysql-core'
import { drizzle } from 'drizzle-orm/planetscale-serverless'
import { errorChain } from '../security/error-chain'

/** The database could not be reached, refused the connection, or did not answer in time. */
export class DatabaseUnreachableError extends Error {
  override name = 'DatabaseUnreachableError'
}

/**
 * The driver lets a failed fetch escape as whatever the runtime throws (workerd: a plain Error), and
 * a database that stops answering would hold the request open: bound every call and tag failures so
 * they can be told apart from bugs. The body is read here too: an answer that stalls or is cut off
 * after its headers fails in the driver's own read otherwise, untagged (a 500, not the 503 page).
 */
function boundedFetch(timeoutMs: number): typeof fetch {
  return async (input, init) => {
    const signal = AbortSignal.timeout(timeoutMs)
    try {
      const res = await fetch(input, { ...init, signal })
      return new Response(await res.arrayBuffer(), res)
    } catch (err) {
      throw new DatabaseUnreachableError('database request failed', { cause: err })
    }
  }
}

// The driver's Client keeps no state between statements (each execute opens a new Connection), so
// one per URL and timeout serves every request of the isolate; drizzle's wrapper is built once too.
const handles = new Map<string, ReturnType<typeof build>>()

function build(databaseUrl: string, timeoutMs: number) {
  // No `schema`: it only serves the relational query API, which this app does not use.
  return drizzle({ client: new Client({ url: databaseUrl, fetch: boundedFetch(timeoutMs) }) })
}

/** The database handle for this URL, built once per isolate; every call is bounded by `timeoutMs`. */
export function createDb(databaseUrl: string, timeoutMs = 5000) {
  const key = `${timeoutMs} ${databaseUrl}`
  let db = handles.get(key)
  if (!db) handles.set(key, (db = build(databaseUrl, timeoutMs)))
  return db
}

export type Database = ReturnType<typeof createDb>

/** A transaction handle from `db.transaction`, for statements that must commit together. */
export type Transaction = Parameters<Parameters<Database['transaction']>[0]>[0]

/**
 * Deletes the rows of `table` that match `where`, `batch` at a time until none are left, so the
 * cron's purge never holds locks for long. Returns how many went.
 */
export async function deleteInBatches(db: Database, table: MySqlTable, where: SQL, batch = 1000) {
  let removed = 0
  for (;;) {
    const result = await db.execute(
      sql`delete from ${table} where ${where} limit ${sql.raw(String(batch))}`,
    )
    removed += result.rowsAffected
    if (result.rowsAffected < batch) return removed
  }
}

/**
 * A statement built once per database handle (so once per isolate) under `key`, for the requests
 * that run on every sign-in, signup or signed-in page: drizzle then makes its SQL text once, and
 * each run only binds the placeholders' values. Building it anew costs more CPU than the driver.
 */
export function preparedOnce<K, Q>(build: (db: Database, key: K) => Q) {
  const built = new WeakMap<Database, Map<K, Q>>()
  return (db: Database, key: K): Q => {
    let byKey = built.get(db)
    if (!byKey) built.set(db, (byKey = new Map()))
    let statement = byKey.get(key)
    if (!statement) byKey.set(key, (statement = build(db, key)))
    return statement
  }
}

/**
 * The message MySQL (through PlanetScale) gave for a failed statement. Only the driver's own error
 * body is read: drizzle's `Error.message` carries the query's parameters, which hold user input.
 */
function databaseMessages(err: unknown): string[] {
  return errorChain(err)
    .filter((e): e is DatabaseError => e instanceof DatabaseError)
    .map((e) => e.body?.message ?? '')
}

/** True when MySQL reported this errno; the `(errno N)` text is what PlanetScale and MySQL share. */
export function hasErrno(err: unknown, errno: number): boolean {
  return databaseMessages(err).some((m) => m.includes(`(errno ${errno})`))
}

export const isDuplicateKey = (err: unknown) => hasErrno(err, 1062)

/**
 * Runs a single-statement write again when InnoDB picked it as a deadlock victim (errno 1213), as
 * MySQL's manual advises; concurrent upserts of one new key can deadlock on its gap lock. A short,
 * growing, jittered pause lets the winner commit, so the same pair does not collide again at once.
 */
export async function retryOnDeadlock<T>(write: () => Promise<T>, attempts = 5): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await write()
    } catch (err) {
      if (attempt >= attempts || !hasErrno(err, 1213)) throw err
      await new Promise((resume) => setTimeout(resume, attempt * (5 + Math.random() * 10)))
    }
  }
}

// What PlanetScale (Vitess) says when the MySQL behind it is down or failing over, and the MySQL
// errors that mean the same: lock wait timeout, too many connections, server gone.
const UNAVAILABLE_MARKERS = ['code = Unavailable', 'code = DeadlineExceeded', 'code = Aborted']
const UNAVAILABLE_ERRNOS = [1205, 1040, 2002, 2003, 2006, 2013]

/**
 * True when the database could not answer (network failure, timeout, 5xx, bad credentials, a
 * backend PlanetScale reports unavailable), as opposed to an SQL error in our own statement.
 */
export function isDatabaseUnavailable(err: unknown): boolean {
  return errorChain(err).some((e) => {
    if (e instanceof DatabaseUnreachableError) return true
    if (e instanceof DatabaseError) {
      const message = e.body?.message ?? ''
      return (
        e.status !== 400 ||
        UNAVAILABLE_MARKERS.some((m) => message.includes(m)) ||
        UNAVAILABLE_ERRNOS.some((n) => message.includes(`(errno ${n})`))
      )
    }
    return false
  })
}
