import type { Feature } from '../../core/feature'
import { passwordResetRoutes } from './routes'

/** "Forgot your password?": a mailed link to choose a new one (`/forgot`, `/reset`). */
export const passwordReset: Feature = { name: 'password-reset', routes: passwordResetRoutes }
