import { BackToAccount, Card, HxLink, When } from '../../core/ui/components'
import type { ActivityRow } from './queries'
import { describeEvent } from './words'

/** The events as a list, newest first: what, when, where and with which browser. */
export function ActivityList(props: { events: ActivityRow[] }) {
  if (props.events.length === 0) return <p>Nothing recorded in the last 90 days.</p>
  return (
    <ol class="activity">
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

export function ActivityCard(props: { events: ActivityRow[] }) {
  return (
    <Card id="activity" title="Recent activity">
      <p>The 30 newest security events of your account, newest first, kept for 90 days.</p>
      <p class="not-me">
        Something here that was not you?{' '}
        <HxLink href="/account/password">Change your password</HxLink> and{' '}
        <HxLink href="/account/sessions">end the sessions</HxLink> you do not recognise.
      </p>
      <ActivityList events={props.events} />
      <BackToAccount />
    </Card>
  )
}
