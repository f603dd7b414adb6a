import type { Hono } from 'hono/tiny'
import type { AppEnv } from '../../core/env'
import type { Feature } from '../../core/feature'
import { adminRoutes } from './routes'

/**
 * The admin console for support (issue 21): `/admin` finds users by email, username or id; a
 * user's page shows the profile, the factors' kinds and counts, live sessions and activity; the
 * actions lock, unlock, sign out everywhere, resend the confirmation link and remove the second
 * factors, each after re-authentication, audited, in the user's activity and mailed to the user.
 * Only admins see any of it (everyone else gets the 404 page); roles change only on the command
 * line (`npm run admin`); no admin acts on another admin's account; no impersonation.
 */
export const admin: Feature = {
  name: 'admin',
  routes: adminRoutes as unknown as Hono<AppEnv>,
  accountLinks: [{ href: '/admin', label: 'Admin console', forAdmins: true }],
}
