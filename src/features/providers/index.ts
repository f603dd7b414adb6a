import type { Feature } from '../../core/feature'
import { providerSettings } from './config'
import { connectedCount, deleteConnected } from './queries'
import { providerRoutes } from './routes'

/**
 * Sign in with GitHub, Google or an OpenID Connect provider (`/login/provider/:id`), a new account
 * on a first sign-in, and the account's connected identities (`/account/connected`).
 */
export const providers: Feature = {
  name: 'providers',
  routes: providerRoutes,
  deleteUserRows: deleteConnected,
  forgetCredentials: deleteConnected,
  accountLinks: [{ href: '/account/connected', label: 'Connected accounts' }],
  waysIn: connectedCount,
  // A button per configured provider; none when none is configured.
  signInLinks: (c) =>
    providerSettings(c.env, c.var.config).providers.map(({ id, label }) => ({
      href: `/login/provider/${id}`,
      label: `Continue with ${label}`,
    })),
}
