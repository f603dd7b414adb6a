import type { Feature } from '../../core/feature'
import { emailVerificationRoutes, sendVerification } from './routes'
import { VerifyReminder } from './views'

export { sendVerification, VerifyReminder }

/** Confirming an account's address by a mailed link (`/verify`, EMAIL_VERIFICATION). */
export const emailVerification: Feature = {
  name: 'email-verification',
  routes: emailVerificationRoutes,
}
