import { desc, eq, lt } from 'drizzle-orm'
import { deleteInBatches, type Database, type Transaction } from '../../core/db/client'
import type { SessionRider } from '../../core/db/sessions'
import type { SecurityEvent } from '../../core/feature'
import { securityEvents as t } from './schema'

/** How long the activity list keeps an event (issue 21): the cron purge removes older ones. */
export const KEEP_DAYS = 90
/** How many events the activity lists show, newest first. */
export const SHOWN = 30

/** How many of them the account page shows inline (issue 21: the last 30), linking the page. */
export const ON_ACCOUNT = SHOWN

export type ActivityRow = typeof t.$inferSelect

const eventFields = {
  id: t.id,
  userId: t.userId,
  at: t.at,
  kind: t.kind,
  outcome: t.outcome,
  method: t.method,
  reason: t.reason,
  place: t.place,
  browser: t.browser,
}

/**
 * The user's newest events, read in the page's session read's own statement (the session row,
 * found by its primary key, left-joined to the user's events by the (user, at) index in order), so
 * the page stays at one statement (issue 21's budget for signed-in pages): the account page's few
 * (`ON_ACCOUNT`) and the activity page's `SHOWN`.
 */
export const newestWithSession: SessionRider<ActivityRow> = {
  table: t,
  userId: t.userId,
  fields: eventFields,
  orderBy: [desc(t.at), desc(t.id)],
  limit: ON_ACCOUNT,
}

export const shownWithSession: SessionRider<ActivityRow> = { ...newestWithSession, limit: SHOWN }

/** Keeps one audited event; called after the answer (core/http/audit.ts). */
export async function insertEvent(db: Database, event: SecurityEvent) {
  // The deletion already removed the account's events: a row now would outlive it (ASVS 7.4.2).
  if (event.action === 'account_delete') return
  const { userId, at, action, outcome, method, reason, place, browser } = event
  await db.insert(t).values({
    userId,
    at,
    kind: action.slice(0, 32),
    outcome,
    method: method.slice(0, 24),
    reason: reason.slice(0, 32),
    place,
    browser,
  })
}

/** The user's newest events, newest first: one statement reading the (user, at) index in order. */
export function recentEvents(db: Database, userId: number, limit = SHOWN): Promise<ActivityRow[]> {
  return db
    .select()
    .from(t)
    .where(eq(t.userId, userId))
    .orderBy(desc(t.at), desc(t.id))
    .limit(limit)
}

export function deleteUserEvents(tx: Transaction, userId: number) {
  return tx.delete(t).where(eq(t.userId, userId))
}

/** Removes events older than KEEP_DAYS, in batches. */
export async function purgeOldEvents(db: Database, now: Date) {
  const before = new Date(now.getTime() - KEEP_DAYS * 86_400_000)
  return { security_events: await deleteInBatches(db, t, lt(t.at, before)) }
}
