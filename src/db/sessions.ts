import { and, eq, gt, lt, sql } from 'drizzle-orm'
import type { Database } from './client'
import { sessions, users } from './schema'

export interface SessionRow {
  userId: number
  username: string
  createdAt: Date
  expiresAt: Date
}

/** The live session with this id hash and its user, in one statement; undefined when expired or gone. */
export async function findLiveSession(
  db: Database,
  idHash: string,
  now: Date,
  absoluteSeconds: number,
): Promise<SessionRow | undefined> {
  const oldestAllowed = new Date(now.getTime() - absoluteSeconds * 1000)
  const [row] = await db
    .select({
      userId: sessions.userId,
      username: users.username,
      createdAt: sessions.createdAt,
      expiresAt: sessions.expiresAt,
    })
    .from(sessions)
    .innerJoin(users, eq(users.id, sessions.userId))
    .where(
      and(
        eq(sessions.idHash, idHash),
        gt(sessions.expiresAt, now),
        gt(sessions.createdAt, oldestAllowed),
      ),
    )
    .limit(1)
  return row
}

export async function insertSession(
  db: Database,
  row: { idHash: string; userId: number; createdAt: Date; expiresAt: Date },
) {
  await db.insert(sessions).values(row)
}

export async function updateSessionExpiry(db: Database, idHash: string, expiresAt: Date) {
  await db.update(sessions).set({ expiresAt }).where(eq(sessions.idHash, idHash))
}

export async function deleteSession(db: Database, idHash: string) {
  await db.delete(sessions).where(eq(sessions.idHash, idHash))
}

/** Removes expired rows; bounded so one call never holds locks for long. */
export async function purgeExpiredSessions(db: Database, now: Date, limit = 1000) {
  await db.execute(
    sql`delete from ${sessions} where ${lt(sessions.expiresAt, now)} limit ${sql.raw(String(limit))}`,
  )
}
