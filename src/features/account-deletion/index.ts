import type { Feature } from '../../core/feature'
import { accountDeletionRoutes } from './routes'

/** Deleting the account and everything of it, every feature's rows included (`/account/delete`). */
export const accountDeletion: Feature = {
  name: 'account-deletion',
  routes: accountDeletionRoutes,
  accountLinks: [{ href: '/account/delete', label: 'Delete account' }],
}
