import type { Feature } from '../../core/feature'
import { deleteRecoveryCodes, factorCounts, removeFactors } from './queries'
import { checkSecondFactor, twoFactorRoutes } from './routes'

/**
 * Two-factor sign-in with an authenticator app (TOTP, RFC 6238) and recovery codes: the settings
 * (`/account/two-factor`), the second step of a sign-in (`/login/two-factor`) and sudo mode's code.
 */
export const twoFactor: Feature = {
  name: 'two-factor',
  routes: twoFactorRoutes,
  deleteUserRows: deleteRecoveryCodes,
  accountLinks: [{ href: '/account/two-factor', label: 'Two-factor sign-in' }],
  checkSecondFactor,
  factorCounts,
  removeFactors,
}
