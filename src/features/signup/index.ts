import type { Feature } from '../../core/feature'
import { signupRoutes } from './routes'

/** Creating an account with a username, email and password (`/signup`). */
export const signup: Feature = { name: 'signup', routes: signupRoutes }
