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
