import { randomUUID } from 'node:crypto'
import type { PoolConnection } from 'mysql2'
import { sqlError, type ErrorContext, type PsError } from './errors'
import {
  runStatement,
  runStatementCb,
  stringifyFields,
  type Outcome,
  type PsResult,
} from './execute'
import type { GatewayPool } from './pool'

/** The opaque session the driver echoes back on its next request. */
export interface PsSession {
  vitessSession: { id: string; inTransaction: boolean }
}

/** The body of an Execute reply. */
export interface ExecuteReply {
  session: PsSession
  result?: PsResult
  error?: PsError
  timing: number
}

/** Receives the reply to a statement, or an unexpected (non-SQL) error. */
export type ReplyCallback = (err: unknown, reply?: ExecuteReply) => void

function stringifyResult(result: PsResult): string {
  let json = '{'
  let sep = ''
  if (result.rowsAffected !== undefined) {
    json += `"rowsAffected":${JSON.stringify(result.rowsAffected)}`
    sep = ','
  }
  if (result.insertId !== undefined) {
    json += `${sep}"insertId":${JSON.stringify(result.insertId)}`
    sep = ','
  }
  if (result.fields !== undefined) {
    json += `${sep}"fields":${stringifyFields(result.fields)}`
    sep = ','
  }
  if (result.rows !== undefined) json += `${sep}"rows":${JSON.stringify(result.rows)}`
  return `${json}}`
}

/**
 * `JSON.stringify(reply)`, byte for byte, with the fields metadata of a result taken from the copy
 * serialised once per result shape (see execute.ts).
 */
export function stringifyReply(reply: ExecuteReply): string {
  const vitess = reply.session.vitessSession
  let json = `{"session":{"vitessSession":{"id":${JSON.stringify(vitess.id)},"inTransaction":${vitess.inTransaction ? 'true' : 'false'}}}`
  if (reply.result !== undefined) json += `,"result":${stringifyResult(reply.result)}`
  if (reply.error !== undefined) json += `,"error":${JSON.stringify(reply.error)}`
  return `${json},"timing":${JSON.stringify(reply.timing)}}`
}

export interface SessionOptions {
  pool: GatewayPool
  database: string
  user: string
  /** Roll back and unpin a transaction left idle this long (Vitess's default is 20 s). */
  idleTimeoutMs: number
  /** Adapts a statement to the server's dialect before it runs (see compat.ts). */
  rewrite?: (sql: string) => string
  log: (line: string) => void
}

/** A MySQL connection pinned to a session while its transaction is open. */
interface Pinned {
  id: string
  conn: PoolConnection
  /** Requests of one session run one after another, in arrival order. */
  tail: Promise<unknown>
  pending: number
  timer: NodeJS.Timeout | undefined
  /** The session changed connection state (SET, USE, …) that must not leak into the pool. */
  tainted: boolean
  /** `ended`: the client finished the transaction; `lost`: the gateway rolled it back. */
  state: 'open' | 'ended' | 'lost'
  lostReason?: string
}

const SERVER_STATUS_IN_TRANS = 1
const SERVER_STATUS_AUTOCOMMIT = 2

// A transaction is open after BEGIN, and for good once autocommit is off.
function inTransaction(status: number): boolean {
  return (status & SERVER_STATUS_IN_TRANS) !== 0 || (status & SERVER_STATUS_AUTOCOMMIT) === 0
}

const LEADING_COMMENTS = /^(?:\s+|\/\*[\s\S]*?\*\/|(?:--\s|#)[^\n]*(?:\n|$))*/

// SELECT, by far the most frequent statement, skips the keyword scan below.
function isSelect(sql: string): boolean {
  return (
    sql.length > 6 &&
    (sql.charCodeAt(0) | 32) === 115 && // s
    (sql.charCodeAt(1) | 32) === 101 && // e
    (sql.charCodeAt(2) | 32) === 108 && // l
    (sql.charCodeAt(3) | 32) === 101 && // e
    (sql.charCodeAt(4) | 32) === 99 && // c
    (sql.charCodeAt(5) | 32) === 116 // t
  )
}

function keyword(sql: string): string {
  // Most statements start with their keyword: skip the comment scan for them.
  const rest = /^[a-z]/i.test(sql) ? sql : sql.replace(LEADING_COMMENTS, '')
  const match = /^[a-z]+(?:\s+temporary)?/i.exec(rest)
  return match ? match[0].toLowerCase().replace(/\s+/g, ' ') : ''
}

// Statements whose effect outlives the statement on that connection.
const SESSION_CHANGING = new Set(['set', 'use', 'lock', 'create temporary', 'prepare'])

function isPlainRollback(sql: string): boolean {
  return /^rollback(?:\s+work)?\s*;?\s*$/i.test(sql.replace(LEADING_COMMENTS, ''))
}

function isFatal(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { fatal?: boolean }).fatal === true
}

function parseSession(value: unknown): { id?: string; inTransaction: boolean } {
  const vitess = (value as { vitessSession?: { id?: unknown; inTransaction?: unknown } } | null)
    ?.vitessSession
  if (!vitess || typeof vitess.id !== 'string' || vitess.id === '') return { inTransaction: false }
  return { id: vitess.id, inTransaction: vitess.inTransaction === true }
}

/**
 * Runs statements for sessions the way PlanetScale does: sessionless work on a pool, a connection
 * pinned to a session while its transaction is open, requests of one session serialised, and
 * abandoned transactions rolled back after an idle timeout.
 */
export class Sessions {
  private readonly pinned = new Map<string, Pinned>()
  private closed = false

  private readonly rewrite: (sql: string) => string

  constructor(private readonly opts: SessionOptions) {
    this.rewrite = opts.rewrite ?? ((sql) => sql)
  }

  /** Number of sessions holding a pinned connection (for tests and diagnostics). */
  get openTransactions(): number {
    return this.pinned.size
  }

  /** A fresh session, as CreateSession returns. */
  create(): PsSession {
    return { vitessSession: { id: randomUUID(), inTransaction: false } }
  }

  /**
   * Executes one statement for the session the client sent (or a new one) and calls `done` once: with
   * the reply (SQL errors included), or with an unexpected error. Callbacks rather than promises on
   * the sessionless path, which is that of nearly every statement.
   */
  execute(sql: string, session: unknown, done: ReplyCallback): void {
    const started = performance.now()
    const claimed = parseSession(session)
    const id = claimed.id ?? randomUUID()
    const finish: ReplyCallback = (err, reply) => {
      if (reply) reply.timing = (performance.now() - started) / 1000
      done(err, reply)
    }
    const entry = this.pinned.get(id)
    if (entry) {
      this.enqueue(entry, () => this.runPinned(entry, sql)).then(
        (reply) => finish(undefined, reply),
        (err: unknown) => finish(err),
      )
    } else if (claimed.inTransaction) {
      finish(undefined, this.lostTransaction(id, sql, undefined))
    } else {
      this.runPooled(id, sql, finish)
    }
  }

  private dispatch(id: string, claimsTransaction: boolean, sql: string): Promise<ExecuteReply> {
    const entry = this.pinned.get(id)
    if (entry) return this.enqueue(entry, () => this.runPinned(entry, sql))
    if (claimsTransaction) return Promise.resolve(this.lostTransaction(id, sql, undefined))
    return new Promise((resolve, reject) =>
      this.runPooled(id, sql, (err, reply) => (err ? reject(err) : resolve(reply!))),
    )
  }

  private enqueue(entry: Pinned, run: () => Promise<ExecuteReply>): Promise<ExecuteReply> {
    entry.pending++
    const result = entry.tail.then(run)
    entry.tail = result.catch(() => undefined)
    return result.finally(() => {
      entry.pending--
    })
  }

  // The client believes its transaction is open but the gateway no longer holds it. Answering with
  // an error instead of running the statement in autocommit mode keeps the client from believing
  // a half-applied transaction succeeded. ROLLBACK is what the client wants anyway: succeed.
  private lostTransaction(id: string, sql: string, reason: string | undefined): ExecuteReply {
    const session = this.reply(id, false)
    if (isPlainRollback(sql)) return { session, result: {}, timing: 0 }
    const why = reason ?? 'unknown session: it expired or the gateway restarted'
    return {
      session,
      error: sqlError(
        { errno: 1105, sqlState: 'HY000', sqlMessage: `transaction ${id} ended: ${why}` },
        this.context(sql),
        'Aborted',
      ),
      timing: 0,
    }
  }

  private runPooled(id: string, sql: string, done: ReplyCallback): void {
    if (this.closed) return done(undefined, this.unavailable(id, sql))
    this.opts.pool.take((acquireErr, conn) => {
      if (acquireErr || !conn) {
        return done(undefined, {
          session: this.reply(id, false),
          error: sqlError(acquireErr ?? {}, this.context(sql)),
          timing: 0,
        })
      }
      const failed = (err: unknown): void => {
        if (isFatal(err)) conn.destroy()
        else conn.release()
        done(undefined, {
          session: this.reply(id, false),
          error: sqlError((err ?? {}) as object, this.context(sql)),
          timing: 0,
        })
      }
      let text: string
      try {
        text = this.rewrite(sql)
      } catch (err) {
        return failed(err)
      }
      runStatementCb(conn, text, (err, outcome) => {
        if (err || !outcome) return failed(err)
        done(undefined, this.settlePooled(id, sql, conn, outcome))
      })
    })
  }

  // After a sessionless statement: pin the connection when the statement opened a transaction,
  // else hand it back (or drop it, when the statement changed its session state).
  private settlePooled(
    id: string,
    sql: string,
    conn: PoolConnection,
    outcome: Outcome,
  ): ExecuteReply {
    const tainting = !isSelect(sql) && SESSION_CHANGING.has(keyword(sql))
    // A pooled connection is never in a transaction, and a result set cannot start one.
    if (outcome.serverStatus !== undefined && inTransaction(outcome.serverStatus)) {
      if (this.closed) {
        this.discard(conn, true)
        return this.unavailable(id, sql)
      }
      const entry: Pinned = {
        id,
        conn,
        tail: Promise.resolve(),
        pending: 0,
        timer: undefined,
        tainted: tainting,
        state: 'open',
      }
      this.pinned.set(id, entry)
      this.arm(entry)
      return { session: this.reply(id, true), result: outcome.result, timing: 0 }
    }
    if (tainting) conn.destroy()
    else conn.release()
    return { session: this.reply(id, false), result: outcome.result, timing: 0 }
  }

  private async runPinned(entry: Pinned, sql: string): Promise<ExecuteReply> {
    // The transaction ended while this request waited behind others of the same session.
    if (entry.state === 'ended') return this.dispatch(entry.id, false, sql)
    if (entry.state === 'lost') return this.lostTransaction(entry.id, sql, entry.lostReason)
    clearTimeout(entry.timer)
    let outcome: Outcome
    try {
      outcome = await runStatement(entry.conn, this.rewrite(sql))
    } catch (err) {
      if (isFatal(err)) {
        this.lose(entry, 'the MySQL connection was lost', false)
        return {
          session: this.reply(entry.id, false),
          error: sqlError(err as object, this.context(sql)),
          timing: 0,
        }
      }
      // A failed statement leaves the transaction open, as MySQL does.
      this.arm(entry)
      return {
        session: this.reply(entry.id, true),
        error: sqlError(err as object, this.context(sql)),
        timing: 0,
      }
    }
    if (SESSION_CHANGING.has(keyword(sql))) entry.tainted = true
    // Result sets carry no status: the state is unchanged (DDL's implicit commit is an OK packet).
    if (outcome.serverStatus !== undefined && !inTransaction(outcome.serverStatus)) {
      entry.state = 'ended'
      this.pinned.delete(entry.id)
      this.discard(entry.conn, entry.tainted)
      return { session: this.reply(entry.id, false), result: outcome.result, timing: 0 }
    }
    this.arm(entry)
    return { session: this.reply(entry.id, true), result: outcome.result, timing: 0 }
  }

  private arm(entry: Pinned): void {
    clearTimeout(entry.timer)
    entry.timer = setTimeout(() => {
      if (entry.pending > 0 || entry.state !== 'open') return
      this.lose(entry, `idle for more than ${this.opts.idleTimeoutMs} ms, rolled back`, true)
    }, this.opts.idleTimeoutMs)
    entry.timer.unref()
  }

  // Drops a pinned transaction the client did not finish, rolling it back when the connection lives.
  private lose(entry: Pinned, reason: string, rollback: boolean): Promise<void> {
    clearTimeout(entry.timer)
    entry.state = 'lost'
    entry.lostReason = reason
    this.pinned.delete(entry.id)
    this.opts.log(`session ${entry.id}: ${reason}`)
    if (!rollback) {
      entry.conn.destroy()
      return Promise.resolve()
    }
    return runStatement(entry.conn, 'ROLLBACK').then(
      () => this.discard(entry.conn, entry.tainted),
      () => entry.conn.destroy(),
    )
  }

  private discard(conn: PoolConnection, tainted: boolean): void {
    if (tainted) conn.destroy()
    else conn.release()
  }

  private unavailable(id: string, sql: string): ExecuteReply {
    return {
      session: this.reply(id, false),
      error: sqlError(
        { errno: 1053, sqlState: '08S01', sqlMessage: 'Server shutdown in progress' },
        this.context(sql),
        'Unavailable',
      ),
      timing: 0,
    }
  }

  private reply(id: string, inTransaction: boolean): PsSession {
    return { vitessSession: { id, inTransaction } }
  }

  private context(sql: string): ErrorContext {
    return { database: this.opts.database, user: this.opts.user, sql }
  }

  /** Rolls back every pinned transaction once its queued requests finished; later requests fail. */
  async close(): Promise<void> {
    this.closed = true
    const entries = [...this.pinned.values()]
    await Promise.all(
      entries.map(async (entry) => {
        await entry.tail
        if (entry.state === 'open')
          await this.lose(entry, 'gateway shutting down, rolled back', true)
      }),
    )
  }
}
