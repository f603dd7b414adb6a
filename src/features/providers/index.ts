import type { Context } from 'hono'
import type { Feature } from '../../core/feature'
import type { AppEnv } from '../../core/env'
import { providerSettings } from './config'
import { connectedCount, deleteConnected } from './queries'
import { providerRoutes } from './routes'
import type { ProviderLink } from './views'

export { ProviderButtons, type ProviderLink } from './views'

/**
 * Sign in with GitHub, Google or an OpenID Connect provider (`/login/provider/:id`), a new account
 * on a first sign-in, and the account's connected identities (`/account/connected`).
 */
export const providers: Feature = {
  name: 'providers',
  routes: providerRoutes,
  deleteUserRows: deleteConnected,
  accountLinks: [{ href: '/account/connected', label: 'Connected accounts' }],
  waysIn: connectedCount,
}

/** The configured providers' buttons for the sign-in and signup pages (no statement). */
export function providerLinks(c: Context<AppEnv>): readonly ProviderLink[] {
  return providerSettings(c.env, c.var.config).providers.map(({ id, label }) => ({ id, label }))
}

/** What the buttons depend on, for pages rendered once per isolate (`sameForEveryone`). */
export function providerKey(c: Context<AppEnv>): string {
  return providerLinks(c)
    .map((p) => `${p.id}=${p.label}`)
    .join(',')
}
