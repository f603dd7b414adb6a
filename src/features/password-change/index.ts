import type { Feature } from '../../core/feature'
import { passwordChangeRoutes } from './routes'

/** Changing the password from the account page (`/account/password`). */
export const passwordChange: Feature = {
  name: 'password-change',
  routes: passwordChangeRoutes,
  accountLinks: [
    { href: '/account/password', label: 'Change password', labelWithoutPassword: 'Set a password' },
  ],
}
