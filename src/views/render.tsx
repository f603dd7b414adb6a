import type { Context } from 'hono'
import type { ContentfulStatusCode } from 'hono/utils/http-status'
import type { HtmlEscapedString } from 'hono/utils/html'
import { Layout } from './layout'

type Content = HtmlEscapedString | Promise<HtmlEscapedString>

// htmx 4 sends HX-Request-Type: full after HX-Location and on history restores (which carry no
// HX-Request at all); only `partial` requests may get a bare fragment.
export function isPartial(c: Context): boolean {
  return c.req.header('HX-Request') === 'true' && c.req.header('HX-Request-Type') === 'partial'
}

/** Whether htmx made this request (including history restores), so redirects must be HX-Location. */
function isHtmx(c: Context): boolean {
  return (
    c.req.header('HX-Request') === 'true' || c.req.header('HX-History-Restore-Request') === 'true'
  )
}

/**
 * Answers with `content` as #main's fragment for partial htmx requests, or as a whole page. The same
 * URL serves both, so caches must key on the headers that decide it.
 */
export function render(
  c: Context,
  title: string,
  content: Content,
  status: ContentfulStatusCode = 200,
) {
  c.header('Vary', 'HX-Request, HX-Request-Type, HX-History-Restore-Request')
  const fullTitle = `${title} · edge-auth`
  if (isPartial(c)) {
    return c.html(
      <>
        <title>{fullTitle}</title>
        {content}
      </>,
      status,
    )
  }
  return c.html(<Layout title={fullTitle}>{content}</Layout>, status)
}

/**
 * Sends the browser to `path`: a 303 for plain forms, or for htmx a 204 with HX-Location, which
 * htmx follows as a navigation that keeps the page alive (fetch would silently follow a 3xx and swap
 * the target page into the form).
 */
export function navigate(c: Context, path: string) {
  if (!isHtmx(c)) return c.redirect(path, 303)
  // A history restore must not leave the page it was refused under in history: replace, not push.
  const replace = c.req.header('HX-History-Restore-Request') === 'true'
  c.header('HX-Location', JSON.stringify(replace ? { path, replace: 'true' } : { path }))
  return c.body(null, 204)
}
