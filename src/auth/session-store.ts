import type { SessionData, Store } from 'hono-sessions'
import type { Config } from '../config'
import { sha256Hex } from './digest'
import type { Database } from '../db/client'
import {
  deleteSession,
  findLiveSession,
  insertSession,
  updateSessionExpiry,
  type SessionRow,
} from '../db/sessions'

/** Hex SHA-256 of a session id: the table never holds a token that could be replayed as a cookie. */
export const hashSessionId = sha256Hex

function userIdOf(data: SessionData): number | undefined {
  const value = data._data?.['userId']?.value
  return typeof value === 'number' ? value : undefined
}

/**
 * hono-sessions store over the `sessions` table, built per request.
 * It is lazy: a session is written only once it holds a user, so anonymous visitors cost nothing, and
 * the expiry is kept in SQL (idle, capped by the absolute lifetime: ASVS 7.3.1, 7.3.2).
 */
export class DatabaseSessionStore implements Store {
  /** The session row read for this request, if the cookie named a live one. */
  loaded: SessionRow | undefined
  private readonly persisted = new Set<string>()

  constructor(
    private readonly db: Database,
    private readonly config: Config,
    private readonly now = new Date(),
  ) {}

  /** The expiry a session created at `createdAt` gets if it is used now. */
  nextExpiry(createdAt: Date): Date {
    const idle = this.now.getTime() + this.config.sessionIdleSeconds * 1000
    const absolute = createdAt.getTime() + this.config.sessionAbsoluteSeconds * 1000
    return new Date(Math.min(idle, absolute))
  }

  /**
   * Sliding the idle expiry costs a write, so it moves only once less than half the idle window is
   * left, and only if the absolute lifetime lets it move at all.
   */
  shouldSlide(row: SessionRow): boolean {
    const left = row.expiresAt.getTime() - this.now.getTime()
    const gain = this.nextExpiry(row.createdAt).getTime() - row.expiresAt.getTime()
    return left < (this.config.sessionIdleSeconds * 1000) / 2 && gain >= 1000
  }

  async getSessionById(sessionId?: string): Promise<SessionData | null> {
    if (!sessionId) return null
    const idHash = await hashSessionId(sessionId)
    const row = await findLiveSession(this.db, idHash, this.now, this.config.sessionAbsoluteSeconds)
    if (!row) return null
    this.loaded = row
    this.persisted.add(sessionId)
    return {
      _data: { userId: { value: row.userId, flash: false } },
      _expire: row.expiresAt.toISOString(),
      _delete: false,
      _accessed: null,
    }
  }

  async createSession(sessionId: string, data: SessionData): Promise<void> {
    const userId = userIdOf(data)
    if (userId === undefined) return
    await insertSession(this.db, {
      idHash: await hashSessionId(sessionId),
      userId,
      createdAt: this.now,
      expiresAt: this.nextExpiry(this.now),
    })
    this.persisted.add(sessionId)
  }

  async persistSessionData(sessionId: string, data: SessionData): Promise<void> {
    if (this.persisted.has(sessionId) && this.loaded) {
      const expiresAt = this.nextExpiry(this.loaded.createdAt)
      await updateSessionExpiry(this.db, await hashSessionId(sessionId), expiresAt)
    } else if (!this.persisted.has(sessionId)) {
      await this.createSession(sessionId, data)
    }
  }

  async deleteSession(sessionId: string): Promise<void> {
    if (!this.persisted.has(sessionId)) return
    await deleteSession(this.db, await hashSessionId(sessionId))
    this.persisted.delete(sessionId)
  }
}
