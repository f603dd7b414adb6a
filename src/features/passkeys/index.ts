import { sql } from 'drizzle-orm'
import { users } from '../../core/db/schema'
import type { Feature } from '../../core/feature'
import { deletePasskeys, passkeyWaysIn, purgeSpentCeremonies } from './queries'
import { passkeyRoutes } from './routes'
import { checkPasskeyFactor } from './sudo'
import { passkeys as keys } from './schema'

/**
 * Passkeys (WebAuthn): add, rename and remove them (`/account/passkeys`), sign in with one
 * (`/login/passkey`, also offered by the sign-in page's autofill), and use one as the second step
 * of a password sign-in (`/login/two-factor/passkey`) and of sudo mode (`/account/passkeys/confirm`).
 */
export const passkeys: Feature = {
  name: 'passkeys',
  routes: passkeyRoutes,
  deleteUserRows: deletePasskeys,
  forgetCredentials: deletePasskeys,
  purge: purgeSpentCeremonies,
  accountLinks: [{ href: '/account/passkeys', label: 'Passkeys' }],
  // Each passkey is a way in: the last one of an account without a password stays (queries.ts).
  waysIn: passkeyWaysIn,
  // A passkey stands in for the code in sudo mode's second factor (sudo.tsx).
  checkSecondFactor: checkPasskeyFactor,
  // The admin console shows how many (issue 21). No `removeFactors`: a passkey is also a way in,
  // which the owner removes themselves; the console's "remove second factors" leaves it.
  factorCounts: [
    {
      label: 'Passkeys',
      count: sql<number>`(select count(*) from ${keys} where ${keys.userId} = ${users.id})`.mapWith(
        Number,
      ),
    },
  ],
}
