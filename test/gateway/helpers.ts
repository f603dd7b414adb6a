import { randomBytes } from 'node:crypto'
import { Client } from '@planetscale/database'
import { drizzle } from 'drizzle-orm/planetscale-serverless'
import mysql from 'mysql2/promise'
import { inject } from 'vitest'

/** A driver Client on the suite's gateway, as the worker builds it. */
export function client(): Client {
  return new Client({ url: inject('databaseUrl') })
}

/** drizzle over the driver, as the app uses it. */
export function db() {
  return drizzle({ client: client() })
}

/** A direct mysql2 connection to the server behind the gateway: the second observer. */
export function direct(): Promise<mysql.Connection> {
  return mysql.createConnection({ uri: inject('mysqlUrl'), timezone: 'Z' })
}

/** A table name no other test file uses, so files can run in parallel. */
export function tableName(prefix: string): string {
  return `${prefix}_${randomBytes(4).toString('hex')}`
}

/** The gateway's base URL and Authorization header, for raw HTTP requests. */
export function raw(): { base: string; authorization: string } {
  const url = new URL(inject('databaseUrl'))
  const authorization = `Basic ${btoa(`${url.username}:${url.password}`)}`
  return { base: `${url.protocol}//${url.host}`, authorization }
}

/** The message chain of an error and its causes (drizzle wraps driver errors in DrizzleQueryError). */
export function messages(err: unknown): string {
  const out: string[] = []
  for (
    let e = err as { message?: string; cause?: unknown } | undefined;
    e;
    e = e.cause as typeof e
  ) {
    out.push(e.message ?? '')
  }
  return out.join('\n')
}
