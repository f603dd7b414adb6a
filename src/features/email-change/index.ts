import type { Feature } from '../../core/feature'
import { emailChangeRoutes } from './routes'

/** Changing the account's address, confirmed from the new inbox (`/account/email`). */
export const emailChange: Feature = {
  name: 'email-change',
  routes: emailChangeRoutes,
  accountLinks: [{ href: '/account/email', label: 'Change email address' }],
}
