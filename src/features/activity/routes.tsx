import { Hono } from 'hono/tiny'
import type { AppEnv } from '../../core/env'
import { signedIn } from '../../core/sessions/guard'
import { render } from '../../core/ui/render'
import { recentEvents } from './queries'
import { ActivityCard } from './views'

export const activityRoutes = new Hono<AppEnv>()

// Two statements: the session read, then the 30 newest events by the (user, at) index.
activityRoutes.get('/account/activity', signedIn, async (c) => {
  const events = await recentEvents(c.var.db, c.var.auth.userId)
  return render(c, 'Recent activity', <ActivityCard events={events} />)
})
