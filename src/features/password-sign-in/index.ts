import type { Feature } from '../../core/feature'
import { passwordSignInRoutes } from './routes'

/** The sign-in page and signing in with email and password (`GET /`, `POST /login`). */
export const passwordSignIn: Feature = { name: 'password-sign-in', routes: passwordSignInRoutes }
