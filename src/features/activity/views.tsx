import { BackToAccount, Card, HxLink, When } from '../../core/ui/components'
import { SHOWN, type ActivityRow } from './queries'
import { describeEvent } from './words'

/** The events as a list, newest first: what, when, where and with which browser. */
export function ActivityList(props: { events: ActivityRow[] }) {
  if (props.events.length === 0) return <p>Nothing recorded in the last 90 days.</p>
  return (
    <ol class="activity" role="list">
      {props.events.map((e) => (
        <li class={e.outcome === 'success' ? 'event' : 'event refused'}>
          <p>
            <strong>{describeEvent(e)}</strong>
          </p>
          <p class="hint">
            <When at={e.at} />
            {e.place ? ` · ${e.place}` : ''}
            {e.browser ? ` · ${e.browser}` : ''}
          </p>
        </li>
      ))}
    </ol>
  )
}

function NotMe() {
  return (
    <p class="not-me">
      Something here that was not you?{' '}
      <HxLink href="/account/password">Change your password</HxLink> and{' '}
      <HxLink href="/account/sessions">end the sessions</HxLink> you do not recognise.
    </p>
  )
}

export function ActivityCard(props: { events: ActivityRow[] }) {
  return (
    <Card id="activity" title="Recent activity">
      <p>The {SHOWN} newest security events of your account, newest first, kept for 90 days.</p>
      <NotMe />
      <ActivityList events={props.events} />
      <BackToAccount />
    </Card>
  )
}

/** The account page's section: the few newest events and the way to the rest. */
export function RecentActivity(props: { events: ActivityRow[] }) {
  return (
    <section aria-labelledby="recent-activity-title">
      <h2 id="recent-activity-title">Recent activity</h2>
      <ActivityList events={props.events} />
      <NotMe />
      <p>
        <HxLink href="/account/activity">All recent activity</HxLink> (the {SHOWN} newest events)
      </p>
    </section>
  )
}
