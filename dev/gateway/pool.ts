import mysql, { type Pool, type PoolConnection } from 'mysql2'

// PlanetScale runs MySQL 8 with its default sql_mode. Setting it explicitly also guarantees
// NO_BACKSLASH_ESCAPES is off: the driver escapes string literals with backslashes.
const SQL_MODE =
  'ONLY_FULL_GROUP_BY,STRICT_TRANS_TABLES,NO_ZERO_IN_DATE,NO_ZERO_DATE,ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION'

// PlanetScale is UTC, and drizzle reads DATETIME/TIMESTAMP strings as UTC. A numeric offset works even
// without time zone tables, unlike 'UTC'.
const SESSION_SETUP = `SET NAMES utf8mb4 COLLATE utf8mb4_unicode_ci, time_zone = '+00:00', sql_mode = '${SQL_MODE}'`

/** Pool settings the gateway needs from a `mysql://` URL. */
export interface PoolOptions {
  mysqlUrl: string
  database: string
  size: number
}

/** A pool whose connections are all set up for the gateway before first use. */
export interface GatewayPool {
  pool: Pool
  acquire(): Promise<PoolConnection>
  end(): Promise<void>
}

/** Parses `mysql://user:pass@host:port/db` into mysql2 connection settings. */
export function parseMysqlUrl(mysqlUrl: string): {
  host: string
  port: number
  user: string
  password: string
  database: string | undefined
} {
  const url = new URL(mysqlUrl)
  if (url.protocol !== 'mysql:' && url.protocol !== 'mariadb:') {
    throw new Error(`expected a mysql:// URL, got ${url.protocol}//`)
  }
  const database = decodeURIComponent(url.pathname.replace(/^\//, '')) || undefined
  return {
    host: url.hostname || '127.0.0.1',
    port: url.port ? Number(url.port) : 3306,
    user: decodeURIComponent(url.username) || 'root',
    password: decodeURIComponent(url.password),
    database,
  }
}

/**
 * Creates the gateway's mysql2 pool. Every new connection gets utf8mb4, UTC and the sql_mode first;
 * `acquire` waits for that setup, so no statement ever runs on a half-configured connection.
 * Results come raw (`typeCast: false`) and as arrays (`rowsAsArray`) unless a query says otherwise.
 * (mysql2's `resetOnRelease` is not used: it would wipe the time zone.)
 */
export function createGatewayPool(opts: PoolOptions): GatewayPool {
  const { host, port, user, password } = parseMysqlUrl(opts.mysqlUrl)
  const pool = mysql.createPool({
    host,
    port,
    user,
    password,
    database: opts.database,
    charset: 'UTF8MB4_UNICODE_CI',
    supportBigNumbers: true,
    bigNumberStrings: true,
    multipleStatements: false,
    connectionLimit: opts.size,
    maxIdle: opts.size,
    enableKeepAlive: true,
    // A server that is down refuses at once; one that does not answer must not hold a request for
    // mysql2's default 10 s before the client hears `code = Unavailable`.
    connectTimeout: 3000,
    // What every statement of the gateway wants (see execute.ts), set once here: a per-query options
    // object costs mysql2 an options merge on every query.
    typeCast: false,
    rowsAsArray: true,
    // Values arrive raw, so this changes none; it spares mysql2 a process.env.TZ read per result with
    // a date column.
    timezone: 'Z',
  })
  const ready = new WeakMap<object, Promise<void>>()
  pool.on('connection', (conn) => {
    ready.set(
      conn,
      new Promise((resolve, reject) => {
        conn.query(SESSION_SETUP, (err) => (err ? reject(err) : resolve()))
      }),
    )
  })
  return {
    pool,
    acquire: () =>
      new Promise((resolve, reject) => {
        pool.getConnection((err, conn) => {
          if (err) return reject(err)
          const setup = ready.get(conn)
          if (!setup) return resolve(conn)
          setup.then(
            () => {
              ready.delete(conn)
              resolve(conn)
            },
            (setupErr: unknown) => {
              conn.destroy()
              reject(setupErr)
            },
          )
        })
      }),
    end: () => new Promise((resolve) => pool.end(() => resolve())),
  }
}
