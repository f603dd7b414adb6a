import type { Context } from 'hono'
import type { Child } from 'hono/jsx'
import { forgetLinkToken } from '../http/link-token'
import { Alert, Card, HxLink } from './components'
import { render } from './render'

/** Expired, used or forged links all get this page, with the way to ask for a new one. */
export function LinkInvalidCard(props: { askAgain: Child }) {
  return (
    <Card id="link" title="This link cannot be used">
      <Alert kind="error">
        The link has expired, was already used, or was replaced by a newer one.
      </Alert>
      {props.askAgain}
      <p class="switch">
        <HxLink href="/">Sign in</HxLink>
      </p>
    </Card>
  )
}

/** The 400 page for a link that cannot be used; its token cookie is forgotten. */
export function invalidLink(c: Context, cookie: string, askAgain: Child) {
  forgetLinkToken(c, cookie)
  return render(c, 'Link expired', <LinkInvalidCard askAgain={askAgain} />, 400)
}
