import type { Context } from 'hono'
import { HTTPException } from 'hono/http-exception'
import type { ContentfulStatusCode } from 'hono/utils/http-status'
import { ConfigError } from '../config'
import { isDatabaseUnavailable } from '../db/client'
import { describeError, logEvent } from '../security/log'
import { ThrottleUnavailableError } from '../security/throttle'
import { ErrorCard } from '../ui/error-card'
import { render } from '../ui/render'

const PUBLIC_MESSAGES: Partial<Record<number, [string, string]>> = {
  400: ['Bad request', 'The request could not be understood.'],
  403: ['Forbidden', 'This form must be sent from this site. Reload the page and try again.'],
  404: ['Not found', 'There is no page at this address.'],
  413: ['Too large', 'That form was too large to accept.'],
  415: ['Unsupported', 'Send this form from the page.'],
  503: ['Unavailable', 'The service cannot reach its database right now. Try again in a minute.'],
}

/**
 * A part of the service that cannot work right now, for a reason the person can be told and act
 * on (the message says what to do instead): a 503 page with that message, not the database one.
 */
export class PartUnavailableError extends Error {
  override name = 'PartUnavailableError'
  constructor(readonly publicMessage: string) {
    super(publicMessage)
  }
}

function errorPage(c: Context, status: ContentfulStatusCode) {
  const [title, message] = PUBLIC_MESSAGES[status] ?? [
    'Something went wrong',
    'An unexpected error occurred. Try again; if it keeps happening, come back later.',
  ]
  return render(c, title, <ErrorCard title={title} message={message} />, status)
}

/** The one place errors become responses: a friendly page, never a stack trace or internals. */
export function onError(err: Error, c: Context) {
  if (err instanceof HTTPException) {
    const status = err.status as ContentfulStatusCode
    if (status >= 500) logEvent('error', 'http_exception', { status })
    return errorPage(c, status)
  }
  // A reservation that could not be written refuses the attempt like an outage does (ASVS 6.3.1).
  if (isDatabaseUnavailable(err) || err instanceof ThrottleUnavailableError) {
    logEvent('error', 'database_unavailable', describeError(err))
    c.header('Retry-After', '30')
    return errorPage(c, 503)
  }
  if (err instanceof PartUnavailableError) {
    // Whoever threw it logged why (by name, never a value); the page says what the person can do.
    const title = 'Unavailable'
    return render(c, title, <ErrorCard title={title} message={err.publicMessage} />, 503)
  }
  if (err instanceof ConfigError) {
    // The message names the setting, never its value.
    logEvent('error', 'config_error', { message: err.message })
  } else {
    logEvent('error', 'unhandled_error', {
      ...describeError(err),
      path: new URL(c.req.url).pathname,
    })
  }
  return errorPage(c, 500)
}

export function notFound(c: Context) {
  return errorPage(c, 404)
}
