import type { Feature } from '../../core/feature'
import { accountRoutes } from './routes'

/** The account page, which lists every feature's links, and the username change (`/account`). */
export const account: Feature = {
  name: 'account',
  routes: accountRoutes,
  accountLinks: [{ href: '/account/username', label: 'Change username' }],
}
