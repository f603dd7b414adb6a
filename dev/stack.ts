import { randomBytes } from 'node:crypto'
import { dirname, isAbsolute, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import mysql from 'mysql2/promise'
import { parseMysqlUrl } from './gateway/pool'
import { startGateway, type Gateway } from './gateway/server'
import { migrateDatabase } from './migrate'
import { startPwnedRange } from './pwned-range'
import { startPrivateMysql, type PrivateMysql } from './mysql'
import type { RootLogin } from './mysql-root'

export interface StackOptions {
  /** Default: process.env.MYSQL_URL; when absent, a private server is started. */
  mysqlUrl?: string
  /** Private server data dir, default '.data/mysql' (relative to the repository root). */
  dataDir?: string
  /** Default: the path of MYSQL_URL when one is given, else 'edge_auth'. */
  database?: string
  /** Drop and recreate the database before migrating (tests use this). */
  fresh?: boolean
  /** Default true: apply drizzle/ migrations through the gateway. */
  migrate?: boolean
  /** Default 0 = a free port. */
  gatewayPort?: number
  log?: (line: string) => void
  /** Called once if the private server exits while nobody asked it to (the dev runner reports it). */
  onMysqlExit?: (code: number | null) => void
  /** Options for the private server beyond its small development defaults (see PrivateMysqlOptions). */
  mysqlArgs?: string[]
}

/** A process of the stack that a test can take away and bring back on the same port. */
export interface StackPart {
  port: number
  /** Whether it is running now. */
  readonly running: boolean
  /** Stops it (a graceful shutdown); idempotent. */
  stop(): Promise<void>
  /** Starts it again on the same port (and data dir); resolves once it accepts connections. */
  start(): Promise<void>
}

export interface Stack {
  /** `http://USER:PASSWORD@127.0.0.1:PORT`: the worker's DATABASE_URL. */
  databaseUrl: string
  /**
   * `mysql://USER:PASSWORD@127.0.0.1:PORT/DATABASE`: what the gateway connects with. For a private
   * server that is a user limited to DATABASE; for MYSQL_URL, that URL with the database as path.
   */
  mysqlUrl: string
  /** The database name the gateway serves. */
  database: string
  /** A local Have I Been Pwned range API stand-in (dev/pwned-range.ts): the worker's PWNED_PASSWORDS_URL. */
  pwnedPasswordsUrl: string
  /**
   * The private MySQL server (absent with MYSQL_URL). `stack.mysql.stop()` under a running gateway
   * makes every query fail with `code = Unavailable`; `stack.mysql.start()` brings it back on the
   * same port and the gateway's next query works without a restart.
   */
  mysql?: StackPart
  /**
   * The gateway. `stack.gateway.stop()` makes the driver's fetch fail (connection refused);
   * `stack.gateway.start()` listens again on the same port with the same credentials, so
   * `databaseUrl` stays valid.
   */
  gateway: StackPart
  /** Stops the gateway, then the private server if this stack started one. Idempotent. */
  stop(): Promise<void>
}

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const GATEWAY_USER = 'edge'
// The MySQL account the gateway uses on the private server: the app's database and nothing else.
const MYSQL_GATEWAY_USER = 'edge_gateway'

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
  admin: mysql.ConnectionOptions,
  database: string,
  fresh: boolean,
  log: (line: string) => void,
) {
  const conn = await mysql.createConnection(admin)
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
 * (Re)creates the gateway's MySQL account on the private server with a fresh password, holding every
 * privilege on `database` and nothing global. ASVS 5.0 13.2.2: least privilege for back-end accounts;
 * no FILE (LOAD_FILE, INTO OUTFILE), no SUPER, no view of other databases.
 */
async function ensureGatewayUser(root: RootLogin, database: string): Promise<string> {
  const password = randomBytes(24).toString('base64url')
  const conn = await mysql.createConnection(root)
  try {
    await conn.query('CREATE USER IF NOT EXISTS ?@? IDENTIFIED BY ?', [
      MYSQL_GATEWAY_USER,
      '127.0.0.1',
      password,
    ])
    await conn.query('ALTER USER ?@? IDENTIFIED BY ?', [MYSQL_GATEWAY_USER, '127.0.0.1', password])
    // Whatever an older run or a hand granted is taken back before the one grant it needs.
    await conn.query('REVOKE ALL PRIVILEGES, GRANT OPTION FROM ?@?', [
      MYSQL_GATEWAY_USER,
      '127.0.0.1',
    ])
    await conn.query(`GRANT ALL PRIVILEGES ON ${quoteIdentifier(database)}.* TO ?@?`, [
      MYSQL_GATEWAY_USER,
      '127.0.0.1',
    ])
  } finally {
    await conn.end()
  }
  return password
}

function adminOptions(mysqlUrl: string): mysql.ConnectionOptions {
  const { host, port, user, password } = parseMysqlUrl(mysqlUrl)
  return { host, port, user, password }
}

/**
 * Starts the local PlanetScale stack: MySQL (MYSQL_URL, or a private server under `.data/`), the
 * database, the HTTP gateway and the drizzle migrations. Returns the DATABASE_URL for the worker.
 */
export async function startStack(opts: StackOptions = {}): Promise<Stack> {
  const log = opts.log ?? (() => {})
  const external = opts.mysqlUrl ?? process.env.MYSQL_URL
  const database =
    opts.database ?? (external ? parseMysqlUrl(external).database : undefined) ?? 'edge_auth'
  const cleanups: Array<() => Promise<void>> = []
  const stopAll = async () => {
    for (const cleanup of cleanups.reverse())
      await cleanup().catch((err: unknown) => log(`stack: ${String(err)}`))
  }
  try {
    let gatewayMysqlUrl: string
    let server: PrivateMysql | undefined
    if (external) {
      // A server the developer chose: used as given, with the account in its URL; no users are
      // created there (that account must be able to create the database, or it must exist).
      await ensureDatabase(adminOptions(external), database, opts.fresh ?? false, log)
      gatewayMysqlUrl = external
    } else {
      const dataDir = opts.dataDir ?? '.data/mysql'
      let exitReported = false
      server = await startPrivateMysql({
        dataDir: isAbsolute(dataDir) ? dataDir : join(REPO_ROOT, dataDir),
        log,
        extraArgs: opts.mysqlArgs,
        onUnexpectedExit: (code) => {
          if (exitReported) return
          exitReported = true
          opts.onMysqlExit?.(code)
        },
      })
      cleanups.push(server.stop)
      await ensureDatabase(server.root, database, opts.fresh ?? false, log)
      const password = await ensureGatewayUser(server.root, database)
      gatewayMysqlUrl = `mysql://${MYSQL_GATEWAY_USER}:${password}@127.0.0.1:${server.port}`
    }

    const password = randomBytes(24).toString('base64url')
    const gatewayOptions = {
      mysqlUrl: gatewayMysqlUrl,
      database,
      user: GATEWAY_USER,
      password,
      port: opts.gatewayPort ?? 0,
      log,
    }
    let gateway: Gateway | undefined = await startGateway(gatewayOptions)
    const gatewayPort = gateway.port
    const stopGateway = async () => {
      const running = gateway
      gateway = undefined
      await running?.close()
    }
    cleanups.push(stopGateway)
    const databaseUrl = `http://${GATEWAY_USER}:${password}@127.0.0.1:${gatewayPort}`

    if (opts.migrate ?? true) {
      const started = performance.now()
      await migrateDatabase(databaseUrl, join(REPO_ROOT, 'drizzle'), {
        log: (line) => log(`stack: migrate: ${line}`),
      })
      log(`stack: migrations applied in ${Math.round(performance.now() - started)} ms`)
    }
    // The breached-password range API's stand-in: the app's real check runs offline against it.
    const pwned = await startPwnedRange()
    cleanups.push(pwned.stop)

    let stopped: Promise<void> | undefined
    const privateServer = server
    return {
      databaseUrl,
      pwnedPasswordsUrl: pwned.url,
      mysqlUrl: withDatabase(gatewayMysqlUrl, database),
      database,
      mysql: privateServer && {
        port: privateServer.port,
        get running() {
          return privateServer.running
        },
        stop: privateServer.stop,
        start: privateServer.start,
      },
      gateway: {
        port: gatewayPort,
        get running() {
          return gateway !== undefined
        },
        stop: stopGateway,
        start: async () => {
          gateway ??= await startGateway({ ...gatewayOptions, port: gatewayPort })
        },
      },
      stop: () => (stopped ??= stopAll()),
    }
  } catch (err) {
    await stopAll()
    throw err
  }
}
