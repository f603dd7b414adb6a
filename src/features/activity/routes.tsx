import { Hono } from 'hono/tiny'
import type { AppEnv } from '../../core/env'
import { signedInWith } from '../../core/sessions/guard'
import { render } from '../../core/ui/render'
import { shownWithSession } from './queries'
import { ActivityCard } from './views'

export const activityRoutes = new Hono<AppEnv>()

// One statement: the session read brings the 30 newest events along.
activityRoutes.get('/account/activity', signedInWith(shownWithSession), (c) =>
  render(c, 'Recent activity', <ActivityCard events={c.var.rides} />),
)
