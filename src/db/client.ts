import { Client } from '@planetscale/database'
import { drizzle } from 'drizzle-orm/planetscale-serverless'
import { errorChain } from '../error-chain'

/** The database could not be reached at all (DNS, refused connection, reset). */
export class DatabaseUnreachableError extends Error {
  override name = 'DatabaseUnreachableError'
}

// The driver lets a failed fetch escape as whatever the runtime throws (workerd: a plain Error);
// tag it so it can be told apart from a bug.
const taggedFetch: typeof fetch = async (input, init) => {
  try {
    return await fetch(input, init)
  } catch (err) {
    throw new DatabaseUnreachableError('database request failed', { cause: err })
  }
}

/** Builds the request's database handle; the driver speaks HTTP, so there is no pool to keep. */
export function createDb(databaseUrl: string) {
  // No `schema`: it only serves the relational query API, which this app does not use, and drizzle
  // would rebuild its relation map on every request.
  return drizzle({ client: new Client({ url: databaseUrl, fetch: taggedFetch }) })
}

export type Database = ReturnType<typeof createDb>

/** True when MySQL reported this errno; the `(errno N)` text is what PlanetScale and MySQL share. */
export function hasErrno(err: unknown, errno: number): boolean {
  const marker = `(errno ${errno})`
  return errorChain(err).some((e) => {
    const body = (e as { body?: { message?: string } }).body
    return (body?.message ?? (e as Error).message ?? '').includes(marker)
  })
}

export const isDuplicateKey = (err: unknown) => hasErrno(err, 1062)

/**
 * Runs a single-statement write again when InnoDB picked it as a deadlock victim (errno 1213), as
 * MySQL's manual advises; concurrent upserts of one new key can deadlock on its gap lock.
 */
export async function retryOnDeadlock<T>(write: () => Promise<T>, attempts = 3): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await write()
    } catch (err) {
      if (attempt >= attempts || !hasErrno(err, 1213)) throw err
    }
  }
}

/**
 * True when the database could not be reached or refused us (network failure, 5xx, bad credentials),
 * as opposed to an SQL error, which the driver reports with status 400.
 */
export function isDatabaseUnavailable(err: unknown): boolean {
  return errorChain(err).some((e) => {
    if (e instanceof DatabaseUnreachableError) return true
    const name = (e as Error)?.name
    if (name === 'DatabaseError') return (e as { status?: number }).status !== 400
    return name === 'UnknownError'
  })
}
