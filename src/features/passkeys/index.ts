import type { Feature } from '../../core/feature'
import { deletePasskeys, passkeyWaysIn, purgeSpentCeremonies } from './queries'
import { passkeyRoutes } from './routes'

/**
 * Passkeys (WebAuthn): add, rename and remove them (`/account/passkeys`), sign in with one
 * (`/login/passkey`, also offered by the sign-in page's autofill), and use one as the second step
 * of a password sign-in (`/login/two-factor/passkey`).
 */
export const passkeys: Feature = {
  name: 'passkeys',
  routes: passkeyRoutes,
  deleteUserRows: deletePasskeys,
  purge: purgeSpentCeremonies,
  accountLinks: [{ href: '/account/passkeys', label: 'Passkeys' }],
  // Each passkey is a way in: the last one of an account without a password stays (queries.ts).
  waysIn: passkeyWaysIn,
}
