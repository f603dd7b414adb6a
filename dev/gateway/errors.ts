/** The `error` member of an Execute reply, or of a non-2xx reply. */
export interface PsError {
  code: string
  message: string
}

/** A request the gateway refuses before reaching MySQL; answered with `status` and a JSON `error`. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message)
  }
}

// vttablet's translation of MySQL errnos into gRPC codes (go/vt/vttablet/tabletserver/tabletserver.go).
const GRPC_CODES: Record<number, string> = {
  1062: 'AlreadyExists',
  1022: 'AlreadyExists',
  1146: 'NotFound',
  1049: 'NotFound',
  1054: 'NotFound',
  1064: 'InvalidArgument',
  1149: 'InvalidArgument',
  1065: 'InvalidArgument',
  1205: 'DeadlineExceeded',
  1213: 'Aborted',
  1317: 'Canceled',
  1142: 'PermissionDenied',
  1044: 'PermissionDenied',
  1045: 'Unauthenticated',
  1153: 'ResourceExhausted',
}

interface MysqlErrorLike {
  errno?: number
  sqlState?: string
  sqlMessage?: string
  message?: string
}

// Literals are replaced the way Vitess normalises them into bind variables, so error messages (which
// end up in application logs) never carry the values, such as password hashes, that a query held.
const LITERAL = /'(?:[^'\\]|\\.|'')*'|x'[0-9a-f]*'/gi
const MAX_SQL_IN_MESSAGE = 256

function redact(sql: string): string {
  let n = 0
  const normalised = sql
    .replace(LITERAL, () => `:vtg${++n}`)
    .replace(/\s+/g, ' ')
    .trim()
  return normalised.length > MAX_SQL_IN_MESSAGE
    ? `${normalised.slice(0, MAX_SQL_IN_MESSAGE)} [TRUNCATED]`
    : normalised
}

/** Where an error happened, for the message: the default database, the caller and the statement. */
export interface ErrorContext {
  database: string
  user: string
  sql: string
}

/**
 * Formats a MySQL error as PlanetScale reports it, so applications can match `(errno N)` and the
 * `code = X` text exactly as they would in production. `grpc` overrides the code derived from errno.
 */
export function sqlError(err: MysqlErrorLike, ctx: ErrorContext, grpc?: string): PsError {
  const errno = err.errno ?? 1105
  const sqlState = err.sqlState ?? 'HY000'
  const text = err.sqlMessage ?? err.message ?? 'unknown error'
  return {
    code: 'UNKNOWN',
    message:
      `target: ${ctx.database}.-.primary: vttablet: rpc error: code = ${grpc ?? GRPC_CODES[errno] ?? 'Unknown'} ` +
      `desc = ${text} (errno ${errno}) (sqlstate ${sqlState}) (CallerID: ${ctx.user}): ` +
      `Sql: "${redact(ctx.sql)}", BindVars: {REDACTED}`,
  }
}

// Client-side failures of mysql2 meaning "no MySQL to talk to", not "this statement is wrong".
const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENOENT',
  'PROTOCOL_CONNECTION_LOST',
  'PROTOCOL_SEQUENCE_TIMEOUT',
  'ER_SERVER_SHUTDOWN',
])
// Server-side: shutdown in progress, connection killed, server gone away, lost during query.
const UNREACHABLE_ERRNOS = new Set([1053, 1927, 2002, 2003, 2006, 2013])

/** Whether a mysql2 error means the server is unreachable (down, restarting, connection lost). */
export function isUnreachable(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false
  const { code, errno, fatal, message } = err as MysqlErrorLike & { code?: string; fatal?: boolean }
  if (fatal === true) return true
  if (code !== undefined && UNREACHABLE_CODES.has(code)) return true
  if (errno !== undefined && UNREACHABLE_ERRNOS.has(errno)) return true
  // mysql2 refuses a command on a socket it already saw close (no code, no errno).
  return typeof message === 'string' && /connection is in closed state/i.test(message)
}

/**
 * The error PlanetScale answers when the tablet behind vtgate cannot be reached (primary down,
 * failover, restart): HTTP 200 with `error`, like any Execute error, so the driver throws
 * `DatabaseError` (status 400) whose `body.message` carries `code = Unavailable`: the gRPC status
 * Vitess uses for it (vtrpc UNAVAILABLE, "no healthy tablet" / "connection refused"), in the same
 * `target: … vttablet: rpc error: code = X desc = …` shape as the SQL errors above, with the outer
 * `code` UNAVAILABLE. Applications classify it as 503 from `body.message`. The errno is the client's
 * 2003 (can't connect) or 2013 (lost connection), as a MySQL client would report it.
 */
export function unavailableError(err: unknown, ctx: ErrorContext): PsError {
  const e = (err ?? {}) as MysqlErrorLike & { code?: string }
  const lost = e.code === 'PROTOCOL_CONNECTION_LOST' || e.code === 'ECONNRESET' || e.errno === 2013
  const errno = lost ? 2013 : 2003
  const desc = lost
    ? 'Lost connection to MySQL server during query'
    : `Can't connect to MySQL server (${e.code ?? e.errno ?? 'unavailable'})`
  return {
    code: 'UNAVAILABLE',
    message: sqlError({ errno, sqlState: 'HY000', sqlMessage: desc }, ctx, 'Unavailable').message,
  }
}
