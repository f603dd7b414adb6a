import { randomBytes } from 'node:crypto'
import { dirname, isAbsolute, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import mysql from 'mysql2/promise'
import { parseMysqlUrl } from './gateway/pool'
import { startGateway } from './gateway/server'
import { migrateDatabase } from './migrate'
import { startPrivateMysql } from './mysql'

export interface StackOptions {
  /** Default: process.env.MYSQL_URL; when absent, a private server is started. */
  mysqlUrl?: string
  /** Private server data dir, default '.data/mysql' (relative to the repository root). */
  dataDir?: string
  /** Default 'edge_auth'. */
  database?: string
  /** Drop and recreate the database before migrating (tests use this). */
  fresh?: boolean
  /** Default true: apply drizzle/ migrations through the gateway. */
  migrate?: boolean
  /** Default 0 = a free port. */
  gatewayPort?: number
  log?: (line: string) => void
}

export interface Stack {
  /** `http://USER:PASSWORD@127.0.0.1:PORT`: the worker's DATABASE_URL. */
  databaseUrl: string
  /** `mysql://…/DATABASE`: the MySQL server behind the gateway, with the stack's database as path. */
  mysqlUrl: string
  /** Stops the gateway, then the private server if this stack started one. Idempotent. */
  stop(): Promise<void>
}

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const GATEWAY_USER = 'edge'

function withDatabase(mysqlUrl: string, database: string): string {
  const url = new URL(mysqlUrl)
  url.pathname = `/${encodeURIComponent(database)}`
  return url.toString()
}

function quoteIdentifier(name: string): string {
  return `\`${name.replace(/`/g, '``')}\``
}

/**
 * Creates the database if missing (or recreates it when `fresh`), always utf8mb4: tables take the
 * database's default charset, and a latin1 default rejects 4-byte UTF-8.
 */
async function ensureDatabase(
  mysqlUrl: string,
  database: string,
  fresh: boolean,
  log: (line: string) => void,
) {
  const { host, port, user, password } = parseMysqlUrl(mysqlUrl)
  const conn = await mysql.createConnection({ host, port, user, password })
  try {
    const name = quoteIdentifier(database)
    if (fresh) await conn.query(`DROP DATABASE IF EXISTS ${name}`)
    await conn.query(
      `CREATE DATABASE IF NOT EXISTS ${name} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`,
    )
    const [rows] = await conn.query(
      'SELECT DEFAULT_CHARACTER_SET_NAME AS charset FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?',
      [database],
    )
    const charset = (rows as Array<{ charset: string }>)[0]?.charset
    if (charset !== 'utf8mb4') {
      log(
        `stack: warning: database ${database} has default charset ${charset}; 4-byte UTF-8 will fail`,
      )
    }
  } finally {
    await conn.end()
  }
}

/**
 * Starts the local PlanetScale stack: MySQL (MYSQL_URL, or a private server under `.data/`), the
 * database, the HTTP gateway and the drizzle migrations. Returns the DATABASE_URL for the worker.
 */
export async function startStack(opts: StackOptions = {}): Promise<Stack> {
  const log = opts.log ?? (() => {})
  const database = opts.database ?? 'edge_auth'
  const external = opts.mysqlUrl ?? process.env.MYSQL_URL
  const cleanups: Array<() => Promise<void>> = []
  const stopAll = async () => {
    for (const cleanup of cleanups.reverse())
      await cleanup().catch((err: unknown) => log(`stack: ${String(err)}`))
  }
  try {
    let serverUrl: string
    if (external) {
      serverUrl = external
    } else {
      const dataDir = opts.dataDir ?? '.data/mysql'
      const server = await startPrivateMysql({
        dataDir: isAbsolute(dataDir) ? dataDir : join(REPO_ROOT, dataDir),
        log,
      })
      cleanups.push(server.stop)
      serverUrl = server.url
    }
    await ensureDatabase(serverUrl, database, opts.fresh ?? false, log)

    const password = randomBytes(18).toString('base64url')
    const gateway = await startGateway({
      mysqlUrl: serverUrl,
      database,
      user: GATEWAY_USER,
      password,
      port: opts.gatewayPort ?? 0,
      log,
    })
    cleanups.push(gateway.close)
    const databaseUrl = `http://${GATEWAY_USER}:${password}@127.0.0.1:${gateway.port}`

    if (opts.migrate ?? true) {
      const started = performance.now()
      await migrateDatabase(databaseUrl, join(REPO_ROOT, 'drizzle'), {
        log: (line) => log(`stack: migrate: ${line}`),
      })
      log(`stack: migrations applied in ${Math.round(performance.now() - started)} ms`)
    }
    let stopped: Promise<void> | undefined
    return {
      databaseUrl,
      mysqlUrl: withDatabase(serverUrl, database),
      stop: () => (stopped ??= stopAll()),
    }
  } catch (err) {
    await stopAll()
    throw err
  }
}
