import type { Feature } from '../../core/feature'
import { SIGNED_OUT, welcomeRoutes } from './routes'

export { SIGNED_OUT }

/** The signed-in home page and signing out (`/welcome`, `/logout`). */
export const welcome: Feature = { name: 'welcome', routes: welcomeRoutes }
