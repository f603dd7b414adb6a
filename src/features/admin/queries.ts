import { and, desc, eq, gt, like, or, sql, type SQL } from 'drizzle-orm'
import type { Database } from '../../core/db/client'
import { sessions, users } from '../../core/db/schema'
import { lockedNow } from '../../core/db/users'

/** Results per page of a search. */
export const PAGE_SIZE = 20

export interface FoundUser {
  id: number
  username: string
  email: string
  admin: boolean
  locked: boolean
}

const likeEscaped = (s: string) => s.replace(/[\\%_]/g, (ch) => `\\${ch}`)

/**
 * Users whose email or username starts with `q`, or whose id is `q`, newest first; one page and
 * whether another follows, in one statement (one row past the page tells).
 */
export async function searchUsers(db: Database, q: string, page: number) {
  const prefix = `${likeEscaped(q)}%`
  const matches: SQL[] = [like(users.email, prefix), like(users.username, prefix)]
  if (/^\d{1,15}$/.test(q)) matches.push(eq(users.id, Number(q)))
  const rows = await db
    .select({
      id: users.id,
      username: users.username,
      email: users.email,
      admin: sql<boolean>`${users.role} = 'admin'`.mapWith((v) => Number(v) === 1),
      locked: lockedNow,
    })
    .from(users)
    .where(q ? or(...matches) : undefined)
    .orderBy(desc(users.id))
    .limit(PAGE_SIZE + 1)
    .offset((page - 1) * PAGE_SIZE)
  return { users: rows.slice(0, PAGE_SIZE) as FoundUser[], more: rows.length > PAGE_SIZE }
}

export interface UserDetail {
  id: number
  username: string
  email: string
  memberSince: Date
  emailVerifiedAt: Date | null
  admin: boolean
  locked: boolean
  lockedAt: Date | null
  lockedUntil: Date | null
  lockReason: string | null
  /** Each feature's factors; `removable` when "remove the second factors" removes them. */
  factors: { label: string; count: number; removable: boolean }[]
  sessions: { userAgent: string; location: string; createdAt: Date; lastSeenAt: Date }[]
}

/**
 * A user, their factors (each feature's counts, never a secret) and their live sessions, in one
 * statement: the user row joined to the sessions that still load, one row per session.
 */
export async function findUserDetail(
  db: Database,
  userId: number,
  factorCounts: readonly { label: string; count: SQL<number>; removable: boolean }[],
  now: Date,
  absoluteSeconds: number,
): Promise<UserDetail | undefined> {
  const oldestAllowed = new Date(now.getTime() - absoluteSeconds * 1000)
  const counts = Object.fromEntries(factorCounts.map((f, i) => [`f${i}`, f.count]))
  const rows = await db
    .select({
      id: users.id,
      username: users.username,
      email: users.email,
      memberSince: users.createdAt,
      emailVerifiedAt: users.emailVerifiedAt,
      admin: sql<boolean>`${users.role} = 'admin'`.mapWith((v) => Number(v) === 1),
      locked: lockedNow,
      lockedAt: users.lockedAt,
      lockedUntil: users.lockedUntil,
      lockReason: users.lockReason,
      ...counts,
      userAgent: sessions.userAgent,
      location: sessions.location,
      createdAt: sessions.createdAt,
      lastSeenAt: sessions.lastSeenAt,
    })
    .from(users)
    .leftJoin(
      sessions,
      and(
        eq(sessions.userId, users.id),
        eq(sessions.generation, users.credentialGeneration),
        gt(sessions.expiresAt, now),
        gt(sessions.createdAt, oldestAllowed),
      ),
    )
    .where(eq(users.id, userId))
    .orderBy(desc(sessions.lastSeenAt))
    .limit(50)
  const first = rows[0] as (typeof rows)[number] & Record<string, unknown>
  if (!first) return undefined
  return {
    ...first,
    factors: factorCounts.map((f, i) => ({
      label: f.label,
      count: Number(first[`f${i}`]),
      removable: f.removable,
    })),
    sessions: rows.flatMap((r) =>
      r.createdAt && r.lastSeenAt
        ? [
            {
              userAgent: r.userAgent ?? '',
              location: r.location ?? '',
              createdAt: r.createdAt,
              lastSeenAt: r.lastSeenAt,
            },
          ]
        : [],
    ),
  }
}

/**
 * What an action needs of its target, in one statement: whether it is an admin, whether it is
 * locked now, whether its address is confirmed and how many second factors it keeps (the sum of
 * every feature's counts), so an action that has nothing to do is refused before it runs.
 */
export async function findTarget(
  db: Database,
  userId: number,
  factorCounts: readonly { count: SQL<number> }[],
) {
  const factors = factorCounts.length
    ? sql<number>`(${sql.join(
        factorCounts.map((f) => f.count),
        sql` + `,
      )})`.mapWith(Number)
    : sql<number>`0`.mapWith(Number)
  const [row] = await db
    .select({
      id: users.id,
      email: users.email,
      emailVerifiedAt: users.emailVerifiedAt,
      admin: sql<boolean>`${users.role} = 'admin'`.mapWith((v) => Number(v) === 1),
      locked: lockedNow,
      factors,
    })
    .from(users)
    .where(eq(users.id, userId))
    .limit(1)
  return row
}

export async function unlockUser(db: Database, userId: number) {
  await db
    .update(users)
    .set({ lockedAt: null, lockedUntil: null, lockReason: null })
    .where(eq(users.id, userId))
}
