import { and, asc, desc, eq, gt, lt, ne, sql, type SQL } from 'drizzle-orm'
import type { MySqlColumn, MySqlTable } from 'drizzle-orm/mysql-core'
import { deleteInBatches, preparedOnce, retryOnDeadlock, type Database } from './client'
import { sessions, users } from './schema'
import { hasPasswordNow } from './users'

export interface SessionRow {
  userId: number
  username: string
  email: string
  /** When the user signed up (the account page's "member since"), read with the session. */
  memberSince: Date
  /** Null until the address is confirmed by a link (EMAIL_VERIFICATION). */
  emailVerifiedAt: Date | null
  /** The user's credential generation, which the session's own matched to load at all. */
  generation: number
  /** Whether the account has a second factor (sudo mode then asks for a code). */
  twoFactor: boolean
  /** Whether the account has a password (sudo mode then asks for it; see core/signin/reauth.ts). */
  hasPassword: boolean
  /** Whether the user is an admin (issue 21): read here, so a role change counts from the next request. */
  admin: boolean
  createdAt: Date
  expiresAt: Date
  lastSeenAt: Date
}

// What every signed-in request reads: the session and its user.
const liveSessionFields = {
  userId: sessions.userId,
  username: users.username,
  email: users.email,
  memberSince: users.createdAt,
  emailVerifiedAt: users.emailVerifiedAt,
  generation: users.credentialGeneration,
  twoFactor: sql<boolean>`${users.totpKey} is not null`.mapWith((v) => Number(v) === 1),
  hasPassword: hasPasswordNow,
  admin: sql<boolean>`${users.role} = 'admin'`.mapWith((v) => Number(v) === 1),
  createdAt: sessions.createdAt,
  expiresAt: sessions.expiresAt,
  lastSeenAt: sessions.lastSeenAt,
}

const liveSessionWhere = () =>
  and(
    eq(sessions.idHash, sql.placeholder('idHash')),
    // A session made before the last password change, reset or "sign out everywhere" is dead.
    eq(sessions.generation, users.credentialGeneration),
    gt(sessions.expiresAt, sql.placeholder('now')),
    gt(sessions.createdAt, sql.placeholder('oldestAllowed')),
  )

// Every signed-in request runs this query.
const findLiveSessionQuery = preparedOnce((db) =>
  db
    .select(liveSessionFields)
    .from(sessions)
    .innerJoin(users, eq(users.id, sessions.userId))
    .where(liveSessionWhere())
    .limit(1)
    .prepare(),
)

const liveSessionParams = (idHash: string, now: Date, absoluteSeconds: number) => ({
  idHash,
  now,
  oldestAllowed: new Date(now.getTime() - absoluteSeconds * 1000),
})

/** The live session with this id hash and its user, in one statement; undefined when expired or gone. */
export async function findLiveSession(
  db: Database,
  idHash: string,
  now: Date,
  absoluteSeconds: number,
): Promise<SessionRow | undefined> {
  const [row] = await findLiveSessionQuery(db, null).execute(
    liveSessionParams(idHash, now, absoluteSeconds),
  )
  return row
}

/**
 * Rows of the signed-in user that a page reads in its session read's own statement: the session
 * row (one, by its primary key) left-joined to the user's rows of `table`, newest first and at
 * most `limit`, so the page still costs one statement (the account page's recent activity).
 */
export interface SessionRider<T> {
  table: MySqlTable
  userId: MySqlColumn
  /** Columns of `table` only. */
  fields: Record<string, MySqlColumn>
  orderBy: SQL[]
  limit: number
  /** Only types the rows: `fields` as the page reads them. */
  rows?: T[]
}

const findLiveSessionWithQuery = preparedOnce((db, rider: SessionRider<unknown>) =>
  db
    .select({ ...liveSessionFields, rider: rider.fields })
    .from(sessions)
    .innerJoin(users, eq(users.id, sessions.userId))
    .leftJoin(rider.table, eq(rider.userId, sessions.userId))
    .where(liveSessionWhere())
    .orderBy(...rider.orderBy)
    .limit(rider.limit)
    .prepare(),
)

/** `findLiveSession` and the rider's rows, in one statement. */
export async function findLiveSessionWith<T>(
  db: Database,
  idHash: string,
  now: Date,
  absoluteSeconds: number,
  rider: SessionRider<T>,
): Promise<{ row: SessionRow; rides: T[] } | undefined> {
  const rows = await findLiveSessionWithQuery(db, rider as SessionRider<unknown>).execute(
    liveSessionParams(idHash, now, absoluteSeconds),
  )
  const first = rows[0]
  if (!first) return undefined
  const { rider: _, ...row } = first
  // Drizzle gives the joined table's object as null when the left join found no row.
  const rides = rows.flatMap((r) => (r.rider ? [r.rider as T] : []))
  return { row, rides }
}

export interface NewSession {
  idHash: string
  userId: number
  createdAt: Date
  expiresAt: Date
  userAgent: string
  location: string
  generation: number
}

const insertSessionQuery = preparedOnce((db) =>
  db
    .insert(sessions)
    .values({
      idHash: sql.placeholder('idHash'),
      userId: sql.placeholder('userId'),
      createdAt: sql.placeholder('createdAt'),
      expiresAt: sql.placeholder('expiresAt'),
      lastSeenAt: sql.placeholder('createdAt'),
      userAgent: sql.placeholder('userAgent'),
      location: sql.placeholder('location'),
      generation: sql.placeholder('generation'),
    })
    .prepare(),
)

export async function insertSession(db: Database, row: NewSession) {
  // Its insert intention lock can also be the victim of `trimUserSessions` (see there).
  await retryOnDeadlock(() => insertSessionQuery(db, null).execute({ ...row }))
}

/**
 * Ends the user's oldest sessions so at most `keep` remain besides `newIdHash`, the one being
 * created in parallel, which is never counted nor ended whichever statement lands first. Ties in
 * `created_at` (whole seconds) are broken by id hash, so the oldest always go first. The derived
 * table lets MySQL and MariaDB read the table they delete from (errno 1093 otherwise). It locks the
 * user's index range before the rows, the reverse of a delete by id hash, so the two running
 * together (a session rotation ends the old id while the new one starts) can deadlock: the victim
 * is rolled back whole and run again.
 */
export async function trimUserSessions(
  db: Database,
  userId: number,
  keep: number,
  newIdHash: string,
) {
  const query = trimUserSessionsQuery(db, keep)
  await retryOnDeadlock(() => query.execute({ userId, newIdHash }))
}

const trimUserSessionsQuery = preparedOnce((db, keep: number) => {
  const userId = sql.placeholder('userId')
  const newIdHash = sql.placeholder('newIdHash')
  return db
    .delete(sessions)
    .where(
      sql`${sessions.userId} = ${userId} and ${sessions.idHash} <> ${newIdHash}
      and ${sessions.idHash} not in (
        select id_hash from (
          select ${sessions.idHash} from ${sessions}
          where ${sessions.userId} = ${userId} and ${sessions.idHash} <> ${newIdHash}
          order by ${sessions.createdAt} desc, ${sessions.idHash} desc
          limit ${sql.raw(String(keep))}
        ) as newest
      )`,
    )
    .prepare()
})

export async function touchSession(db: Database, idHash: string, expiresAt: Date, now: Date) {
  await db.update(sessions).set({ expiresAt, lastSeenAt: now }).where(eq(sessions.idHash, idHash))
}

/** Ends one session; a deadlock with `trimUserSessions` is retried (see there). */
export async function deleteSession(db: Database, idHash: string) {
  const query = deleteSessionQuery(db, null)
  await retryOnDeadlock(() => query.execute({ idHash }))
}

const deleteSessionQuery = preparedOnce((db) =>
  db
    .delete(sessions)
    .where(eq(sessions.idHash, sql.placeholder('idHash')))
    .prepare(),
)

/**
 * Ends one session, but only if it belongs to `userId`: the id hash comes from a form, which must
 * not let anyone end another user's session. Returns whether a row was deleted.
 */
export async function deleteOwnSession(db: Database, userId: number, idHash: string) {
  const result = await db
    .delete(sessions)
    .where(and(eq(sessions.idHash, idHash), eq(sessions.userId, userId)))
  return result.rowsAffected > 0
}

/** Ends every session of a user, or every one but `exceptIdHash`; returns how many ended. */
export async function deleteUserSessions(
  db: Pick<Database, 'delete'>,
  userId: number,
  exceptIdHash?: string,
) {
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

/**
 * A user's live sessions, most recently used first: only those made under the account's current
 * credential generation, as only those load (a sign-in that raced a reset leaves a row that never
 * will, and it must not show as a live session or count for "sign out everywhere else").
 */
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
    .innerJoin(users, eq(users.id, sessions.userId))
    .where(
      and(
        eq(sessions.userId, userId),
        eq(sessions.generation, users.credentialGeneration),
        gt(sessions.expiresAt, now),
        gt(sessions.createdAt, oldestAllowed),
      ),
    )
    .orderBy(desc(sessions.lastSeenAt), asc(sessions.idHash))
}

/** Removes expired sessions in batches until none are left. */
export function purgeExpiredSessions(db: Database, now: Date) {
  return deleteInBatches(db, sessions, lt(sessions.expiresAt, now))
}
