import { and, asc, desc, eq, gt, lt, ne, sql } from 'drizzle-orm'
import type { Database } from './client'
import { sessions, users } from './schema'

export interface SessionRow {
  userId: number
  username: string
  email: string
  emailVerifiedAt: Date | null
  createdAt: Date
  expiresAt: Date
  lastSeenAt: Date
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
      email: users.email,
      emailVerifiedAt: users.emailVerifiedAt,
      createdAt: sessions.createdAt,
      expiresAt: sessions.expiresAt,
      lastSeenAt: sessions.lastSeenAt,
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

export interface NewSession {
  idHash: string
  userId: number
  createdAt: Date
  expiresAt: Date
  userAgent: string
  location: string
}

export async function insertSession(db: Database, row: NewSession) {
  await db.insert(sessions).values({ ...row, lastSeenAt: row.createdAt })
}

/**
 * Ends the user's oldest sessions so at most `keep` remain besides one being created now. The
 * derived table lets MySQL and MariaDB read the table they delete from (errno 1093 otherwise).
 */
export async function trimUserSessions(db: Database, userId: number, keep: number) {
  await db.execute(sql`
    delete from ${sessions} where ${sessions.userId} = ${userId} and ${sessions.idHash} not in (
      select id_hash from (
        select ${sessions.idHash} from ${sessions} where ${sessions.userId} = ${userId}
        order by ${sessions.createdAt} desc limit ${sql.raw(String(keep))}
      ) as newest
    )`)
}

export async function touchSession(db: Database, idHash: string, expiresAt: Date, now: Date) {
  await db.update(sessions).set({ expiresAt, lastSeenAt: now }).where(eq(sessions.idHash, idHash))
}

export async function deleteSession(db: Database, idHash: string) {
  await db.delete(sessions).where(eq(sessions.idHash, idHash))
}

/** Ends every session of a user, or every one but `exceptIdHash`; returns how many ended. */
export async function deleteUserSessions(db: Database, userId: number, exceptIdHash?: string) {
  const mine = eq(sessions.userId, userId)
  const result = await db
    .delete(sessions)
    .where(exceptIdHash ? and(mine, ne(sessions.idHash, exceptIdHash)) : mine)
  return result.rowsAffected
}

export interface SessionListing {
  idHash: string
  createdAt: Date
  lastSeenAt: Date
  expiresAt: Date
  userAgent: string
  location: string
}

/** A user's live sessions, most recently used first. */
export async function listUserSessions(
  db: Database,
  userId: number,
  now: Date,
  absoluteSeconds: number,
): Promise<SessionListing[]> {
  const oldestAllowed = new Date(now.getTime() - absoluteSeconds * 1000)
  return db
    .select({
      idHash: sessions.idHash,
      createdAt: sessions.createdAt,
      lastSeenAt: sessions.lastSeenAt,
      expiresAt: sessions.expiresAt,
      userAgent: sessions.userAgent,
      location: sessions.location,
    })
    .from(sessions)
    .where(
      and(
        eq(sessions.userId, userId),
        gt(sessions.expiresAt, now),
        gt(sessions.createdAt, oldestAllowed),
      ),
    )
    .orderBy(desc(sessions.lastSeenAt), asc(sessions.idHash))
}

/** Removes expired rows in batches until none are left; a batch never holds locks for long. */
export async function purgeExpiredSessions(db: Database, now: Date, batch = 1000) {
  let removed = 0
  for (;;) {
    const result = await db.execute(
      sql`delete from ${sessions} where ${lt(sessions.expiresAt, now)} limit ${sql.raw(String(batch))}`,
    )
    removed += result.rowsAffected
    if (result.rowsAffected < batch) return removed
  }
}
