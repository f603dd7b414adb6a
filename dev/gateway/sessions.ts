import { randomUUID } from 'node:crypto'
import type { PoolConnection } from 'mysql2'
import {
  isUnreachable,
  sqlError,
  unavailableError,
  type ErrorContext,
  type PsError,
} from './errors'
import { runStatement, type Outcome, type PsResult } from './execute'
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

  /** Executes one statement for the session the client sent (or a new one). Never rejects. */
  async execute(sql: string, session: unknown): Promise<ExecuteReply> {
    const started = performance.now()
    const claimed = parseSession(session)
    const id = claimed.id ?? randomUUID()
    const reply = await this.dispatch(id, claimed.inTransaction, sql)
    reply.timing = (performance.now() - started) / 1000
    return reply
  }

  private dispatch(id: string, claimsTransaction: boolean, sql: string): Promise<ExecuteReply> {
    const entry = this.pinned.get(id)
    if (entry) return this.enqueue(entry, () => this.runPinned(entry, sql))
    if (claimsTransaction) return Promise.resolve(this.lostTransaction(id, sql, undefined))
    return this.runPooled(id, sql)
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

  private async runPooled(id: string, sql: string): Promise<ExecuteReply> {
    if (this.closed) return this.unavailable(id, sql)
    let conn: PoolConnection
    try {
      conn = await this.opts.pool.acquire()
    } catch (err) {
      return { session: this.reply(id, false), error: this.failure(err, sql), timing: 0 }
    }
    let outcome: Outcome
    try {
      outcome = await runStatement(conn, this.rewrite(sql))
    } catch (err) {
      if (isFatal(err) || isUnreachable(err)) conn.destroy()
      else conn.release()
      return { session: this.reply(id, false), error: this.failure(err, sql), timing: 0 }
    }
    const tainting = SESSION_CHANGING.has(keyword(sql))
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
      if (isFatal(err) || isUnreachable(err)) {
        void this.lose(entry, 'the MySQL connection was lost', false)
        return { session: this.reply(entry.id, false), error: this.failure(err, sql), timing: 0 }
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
      error: unavailableError({ errno: 2003, code: 'gateway shutting down' }, this.context(sql)),
      timing: 0,
    }
  }

  // An unreachable server is reported as PlanetScale reports an unreachable tablet; anything else is
  // an SQL error of this statement.
  private failure(err: unknown, sql: string): PsError {
    return isUnreachable(err)
      ? unavailableError(err, this.context(sql))
      : sqlError(err as object, this.context(sql))
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
