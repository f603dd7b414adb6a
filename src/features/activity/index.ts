import type { Feature } from '../../core/feature'
import { deleteUserEvents, insertEvent, purgeOldEvents } from './queries'
import { activityRoutes } from './routes'

export { newestWithSession, recentEvents } from './queries'
export { ActivityList, RecentActivity } from './views'

/**
 * Every user's recent security activity (issue 21): each audited event of a known user becomes a
 * row after the answer (`recordEvent`), the account page shows the newest few (read with its
 * session: `newestWithSession`) and links to `/account/activity`, which lists the 30 newest; the
 * cron purges rows older than 90 days.
 */
export const activity: Feature = {
  name: 'activity',
  routes: activityRoutes,
  deleteUserRows: deleteUserEvents,
  purge: purgeOldEvents,
  recordEvent: insertEvent,
}
