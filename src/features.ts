import type { Feature } from './core/feature'
import { account } from './features/account'
import { accountDeletion } from './features/account-deletion'
import { activity } from './features/activity'
import { admin } from './features/admin'
import { emailChange } from './features/email-change'
import { emailCode } from './features/email-code'
import { emailVerification } from './features/email-verification'
import { passwordChange } from './features/password-change'
import { passwordReset } from './features/password-reset'
import { passkeys } from './features/passkeys'
import { providers } from './features/providers'
import { passwordSignIn } from './features/password-sign-in'
import { sessions } from './features/sessions'
import { signup } from './features/signup'
import { twoFactor } from './features/two-factor'
import { welcome } from './features/welcome'

/**
 * The one list of capabilities: a line each. `src/index.tsx` mounts their routes in this order,
 * the account page shows their links in this order, and account deletion and the cron purge walk
 * it. Adding a capability is adding its folder under `src/features/` and its line here.
 */
export const features: readonly Feature[] = [
  passwordSignIn,
  emailCode,
  signup,
  welcome,
  passwordReset,
  emailVerification,
  account,
  emailChange,
  passwordChange,
  sessions,
  twoFactor,
  activity,
  admin,
  passkeys,
  providers,
  accountDeletion,
]
