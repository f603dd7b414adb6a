import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { basicAuth } from './auth'
import { readJson } from './body'
import { HttpError } from './errors'
import { createGatewayPool, parseMysqlUrl } from './pool'
import { Sessions } from './sessions'
import { mariadbCompatible } from './compat'

export interface GatewayOptions {
  /** `mysql://user:pass@host:port[/database]` of the server behind the gateway. */
  mysqlUrl: string
  /**
   * Basic-auth credentials clients must present (the user and password of `DATABASE_URL`). The
   * password must be at least 16 characters of random text (see MIN_PASSWORD_LENGTH).
   */
  user: string
  password: string
  /** Default database; defaults to the path of `mysqlUrl`. PlanetScale discards the URL path. */
  database?: string
  /** 0 (default) picks a free port. The gateway binds 127.0.0.1 only. */
  port?: number
  log?: (line: string) => void
  /** MySQL connections shared by sessionless statements and open transactions (default 16). */
  poolSize?: number
  /** Roll back a transaction idle this long (default 20 000 ms, Vitess's transaction timeout). */
  sessionIdleTimeoutMs?: number
  /** Largest accepted request body (default 8 MiB, below MariaDB's 16 MiB max_allowed_packet). */
  maxBodyBytes?: number
}

export interface Gateway {
  /** `http://127.0.0.1:PORT`, without credentials. */
  url: string
  port: number
  /** Pinned transactions currently open. */
  readonly openTransactions: number
  /** Stops accepting requests, finishes in-flight ones, rolls back open transactions. Idempotent. */
  close(): Promise<void>
}

const EXECUTE = '/psdb.v1alpha1.Database/Execute'
const CREATE_SESSION = '/psdb.v1alpha1.Database/CreateSession'
const DRAIN_TIMEOUT_MS = 5000
// Any local process can reach the port, so the password is the only barrier: ASVS 5.0 13.2.1
// (authenticated back-end communication) and 13.2.3 (no guessable credentials). Generated ones are 32.
const MIN_PASSWORD_LENGTH = 16
const MIN_DISTINCT_CHARACTERS = 8

/** Throws unless `password` is long and varied enough to be a generated secret. */
export function checkGatewayPassword(password: string): void {
  const chars = [...password]
  if (chars.length < MIN_PASSWORD_LENGTH || new Set(chars).size < MIN_DISTINCT_CHARACTERS) {
    throw new Error(
      `the gateway password must be at least ${MIN_PASSWORD_LENGTH} random characters ` +
        `(e.g. \`openssl rand -base64 24\`)`,
    )
  }
}

// A browser is never a client of the gateway: these headers mean a web page is making the request.
// Browsers send Sec-Fetch-Site/-Dest with every request to a loopback (potentially trustworthy)
// address and Origin with every cross-site POST. A lone `Sec-Fetch-Mode: cors` is let through: Node's
// fetch (undici), which the driver and the migrator use, sends exactly that and nothing else.
function fromBrowser(req: IncomingMessage): boolean {
  if (req.headers.origin !== undefined) return true
  for (const name of Object.keys(req.headers))
    if (name.startsWith('sec-fetch-') && name !== 'sec-fetch-mode') return true
  return false
}

// Replies are written with one writeHead carrying a flat header list, and the body as a string, which
// Node sends together with the head in a single write.
function send(res: ServerResponse, status: number, body: unknown): void {
  const json = JSON.stringify(body)
  res.writeHead(status, [
    'Content-Type',
    'application/json',
    'Content-Length',
    String(Buffer.byteLength(json)),
  ])
  res.end(json)
}

function sendError(res: ServerResponse, err: HttpError): void {
  send(res, err.status, { error: { code: err.code, message: err.message } })
}

/**
 * Starts a server speaking PlanetScale's HTTP API (`@planetscale/database`) over a MySQL server, and
 * resolves once it accepts requests. Fails fast when MySQL or the database is unreachable.
 */
export async function startGateway(opts: GatewayOptions): Promise<Gateway> {
  const log = opts.log ?? (() => {})
  checkGatewayPassword(opts.password)
  const database = opts.database ?? parseMysqlUrl(opts.mysqlUrl).database
  if (!database)
    throw new Error('startGateway: no database (pass `database` or put it in mysqlUrl)')
  const maxBody = opts.maxBodyBytes ?? 8 * 1024 * 1024
  const authorized = basicAuth(opts.user, opts.password)
  const pool = createGatewayPool({ mysqlUrl: opts.mysqlUrl, database, size: opts.poolSize ?? 16 })
  const server = await checkDatabase(pool, database, log).catch(async (err: unknown) => {
    await pool.end()
    throw err
  })
  const sessions = new Sessions({
    pool,
    database,
    user: opts.user,
    idleTimeoutMs: opts.sessionIdleTimeoutMs ?? 20_000,
    rewrite: server.mariadb ? mariadbCompatible : undefined,
    log,
  })

  let closing = false
  let inFlight = 0
  let drained: (() => void) | undefined

  function finished(): void {
    if (--inFlight === 0) drained?.()
  }

  function fail(res: ServerResponse, err: unknown): void {
    if (err instanceof HttpError) return sendError(res, err)
    log(
      `gateway: unexpected error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`,
    )
    if (!res.headersSent) sendError(res, new HttpError(500, 'INTERNAL', 'internal gateway error'))
    else res.destroy()
  }

  // Filled once the port is known: the Host values a loopback client can send.
  const loopbackHosts = new Set<string>()

  // Checks what can be checked before the body arrives; returns the path, or the refusal.
  function admit(req: IncomingMessage): string | HttpError {
    // DNS rebinding: a page on evil.example resolving to 127.0.0.1 sends Host: evil.example.
    if (!loopbackHosts.has((req.headers.host ?? '').toLowerCase())) {
      return new HttpError(421, 'PERMISSION_DENIED', 'the gateway answers only loopback Host names')
    }
    if (fromBrowser(req)) {
      return new HttpError(403, 'PERMISSION_DENIED', 'browser requests are refused')
    }
    const target = req.url ?? '/'
    const query = target.indexOf('?')
    const path = query < 0 ? target : target.slice(0, query)
    if (path !== EXECUTE && path !== CREATE_SESSION) {
      return new HttpError(404, 'NOT_FOUND', `unknown path ${JSON.stringify(path).slice(0, 200)}`)
    }
    if (req.method !== 'POST') {
      return new HttpError(405, 'INVALID_ARGUMENT', `${path} accepts POST only`)
    }
    if (!authorized(req.headers.authorization)) {
      return new HttpError(401, 'UNAUTHENTICATED', 'invalid username or password')
    }
    return path
  }

  // The statement of an Execute body, or the refusal.
  function statement(body: unknown): { query: string; session: unknown } | HttpError {
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      return new HttpError(400, 'INVALID_ARGUMENT', 'request body must be a JSON object')
    }
    const { query, session } = body as { query?: unknown; session?: unknown }
    if (typeof query !== 'string' || query.trim() === '') {
      return new HttpError(400, 'INVALID_ARGUMENT', 'missing "query": expected a non-empty string')
    }
    return { query, session }
  }

  // Callbacks and one promise per request (the statement's), not an async chain: this is the hot path.
  function handle(req: IncomingMessage, res: ServerResponse): void {
    const path = admit(req)
    if (path instanceof HttpError) {
      req.resume()
      sendError(res, path)
      return finished()
    }
    readJson(req, maxBody, (err, body) => {
      if (err) {
        fail(res, err)
        return finished()
      }
      if (closing) {
        sendError(res, new HttpError(503, 'UNAVAILABLE', 'gateway is shutting down'))
        return finished()
      }
      if (path === CREATE_SESSION) {
        send(res, 200, { session: sessions.create() })
        return finished()
      }
      const stmt = statement(body)
      if (stmt instanceof HttpError) {
        sendError(res, stmt)
        return finished()
      }
      sessions.execute(stmt.query, stmt.session).then(
        (reply) => {
          try {
            send(res, 200, reply)
          } catch (sendErr) {
            fail(res, sendErr)
          }
          finished()
        },
        (execErr: unknown) => {
          fail(res, execErr)
          finished()
        },
      )
    })
  }

  const http = createServer({ keepAlive: true, noDelay: true }, (req, res) => {
    inFlight++
    if (closing) res.setHeader('Connection', 'close')
    try {
      handle(req, res)
    } catch (err) {
      fail(res, err)
      finished()
    }
  })
  // Longer than undici's keep-alive so the client, not the server, closes idle sockets: a server-side
  // close racing a new request is what produces sporadic "socket hang up" errors.
  http.keepAliveTimeout = 65_000
  http.on('clientError', (_err, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n')
    else socket.destroy()
  })

  await new Promise<void>((resolve, reject) => {
    http.once('error', reject)
    http.listen(opts.port ?? 0, '127.0.0.1', () => {
      http.off('error', reject)
      resolve()
    })
  }).catch(async (err: unknown) => {
    await pool.end()
    throw err
  })
  const port = (http.address() as AddressInfo).port
  for (const host of ['127.0.0.1', 'localhost', '[::1]']) loopbackHosts.add(`${host}:${port}`)
  const url = `http://127.0.0.1:${port}`
  log(`gateway: ${url} -> ${database} (user ${opts.user})`)

  let closed: Promise<void> | undefined
  async function close(): Promise<void> {
    closing = true
    const stopped = new Promise<void>((resolve) => http.close(() => resolve()))
    http.closeIdleConnections()
    if (inFlight > 0) {
      await new Promise<void>((resolve) => {
        drained = resolve
        setTimeout(resolve, DRAIN_TIMEOUT_MS).unref()
      })
    }
    await sessions.close()
    http.closeAllConnections()
    await stopped
    await pool.end()
    log('gateway: stopped')
  }

  return {
    url,
    port,
    get openTransactions() {
      return sessions.openTransactions
    },
    close: () => (closed ??= close()),
  }
}

/** Checks the database is reachable and utf8mb4, and tells whether the server is MariaDB. */
async function checkDatabase(
  pool: ReturnType<typeof createGatewayPool>,
  database: string,
  log: (line: string) => void,
): Promise<{ mariadb: boolean }> {
  const conn = await pool.acquire()
  try {
    const row = await new Promise<Record<string, unknown>>((resolve, reject) =>
      conn.query(
        {
          sql: 'SELECT @@character_set_database AS charset, VERSION() AS version',
          typeCast: true,
          rowsAsArray: false,
        },
        (err, rows) =>
          err ? reject(err) : resolve((rows as Array<Record<string, unknown>>)[0] ?? {}),
      ),
    )
    // Tables take the database's default charset: anything else breaks 4-byte UTF-8 (errno 1366).
    if (row.charset !== 'utf8mb4') {
      log(
        `gateway: warning: database ${database} has default charset ${String(row.charset)}, expected utf8mb4`,
      )
    }
    return { mariadb: /mariadb/i.test(String(row.version)) }
  } finally {
    conn.release()
  }
}
