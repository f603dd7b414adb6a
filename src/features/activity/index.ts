import type { Feature } from '../../core/feature'
import { deleteUserEvents, insertEvent, purgeOldEvents } from './queries'
import { activityRoutes } from './routes'

export { recentEvents } from './queries'
export { ActivityList } from './views'

/**
 * Every user's recent security activity (issue 21): each audited event of a known user becomes a
 * row after the answer (`recordEvent`), the account's "Recent activity" page lists the 30 newest,
 * and the cron purges rows older than 90 days.
 */
export const activity: Feature = {
  name: 'activity',
  routes: activityRoutes,
  deleteUserRows: deleteUserEvents,
  purge: purgeOldEvents,
  accountLinks: [{ href: '/account/activity', label: 'Recent activity' }],
  recordEvent: insertEvent,
}
