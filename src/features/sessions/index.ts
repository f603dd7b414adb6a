import type { Feature } from '../../core/feature'
import { sessionsRoutes } from './routes'

/** The account's live sessions: list, end one, end all others (`/account/sessions`). */
export const sessions: Feature = {
  name: 'sessions',
  routes: sessionsRoutes,
  accountLinks: [{ href: '/account/sessions', label: 'Your sessions' }],
}
