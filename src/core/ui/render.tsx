import type { Context } from 'hono'
import type { ContentfulStatusCode } from 'hono/utils/http-status'
import type { HtmlEscapedString } from 'hono/utils/html'
import { createMiddleware } from 'hono/factory'
import { raw } from 'hono/html'
import type { AppEnv } from '../env'
import { internalPath, mountOf, prefixLinks } from '../http/mount'
import { Layout } from './layout'

type Content = HtmlEscapedString | Promise<HtmlEscapedString>

const DEFAULT_NAME = 'edge-auth'
// The same URL answers a page or a fragment by these headers, so caches must key on them.
const VARY = 'HX-Request, HX-Request-Type, HX-History-Restore-Request'

// htmx 4 sends HX-Request-Type: full after HX-Location and on history restores (which carry no
// HX-Request at all); only `partial` requests may get a bare fragment.
export function isPartial(c: Context): boolean {
  return c.req.header('HX-Request') === 'true' && c.req.header('HX-Request-Type') === 'partial'
}

/** Whether htmx made this request (including history restores), so redirects must be HX-Location. */
export function isHtmx(c: Context): boolean {
  return (
    c.req.header('HX-Request') === 'true' || c.req.header('HX-History-Restore-Request') === 'true'
  )
}

declare module 'hono' {
  interface ContextRenderer {
    (
      content: Content,
      props: { title: string; sameForEveryone?: string },
    ): Response | Promise<Response>
  }
}

/**
 * The one layout behind `c.render(<Card />, { title })`: the card as #main's fragment for partial
 * htmx requests, or as a whole page. The same URL serves both, so caches must key on the headers
 * that decide it. Hono's own jsxRenderer does the same but brings its client-side DOM renderer and
 * streaming into the bundle (about 5 KiB gzipped); `setRenderer` is all this needs.
 */
export const pageRenderer = createMiddleware<AppEnv>(async (c, next) => {
  c.setRenderer(async (content, { title, sameForEveryone }) => {
    c.header('Vary', VARY)
    const partial = isPartial(c)
    // The configuration is read after this middleware; a configuration error still gets its page.
    const appName =
      (c.var.config as AppEnv['Variables']['config'] | undefined)?.appName ?? DEFAULT_NAME
    const mount = mountOf(c)
    const key =
      sameForEveryone && `${partial ? 'fragment' : 'page'} ${appName} ${mount} ${sameForEveryone}`
    const known = key && renderedOnce.get(key)
    if (known) return c.html(known)
    const [before, after] = await shell(title, appName, partial)
    // Under MOUNT_PATH every link, form and asset of the page moves with the product.
    const html = prefixLinks(before + String(await content) + after, mount)
    if (key && renderedOnce.size < RENDERED_ONCE_MAX) renderedOnce.set(key, html)
    return c.html(html)
  })
  await next()
})

// Pages that are the same for every visitor (the sign-in and signup forms without a notice) are
// rendered once per isolate: rendering is most of what they cost. They hold nothing per request
// (no nonce, no token: CSRF is checked by Origin), so the same bytes serve everyone.
const renderedOnce = new Map<string, string>()
const RENDERED_ONCE_MAX = 16

// Everything around the card (the document head, the header, or a fragment's <title>) depends only
// on the title, so it is rendered once per isolate and title, and each request renders its card.
const SLOT = '\u0000card\u0000'
const shells = new Map<string, [string, string]>()
const SHELLS_MAX = 64

async function shell(card: string, appName: string, partial: boolean): Promise<[string, string]> {
  const key = `${partial ? 'fragment' : 'page'} ${appName} ${card}`
  const known = shells.get(key)
  if (known) return known
  const slot = raw(SLOT)
  const title = `${card} · ${appName}`
  const page = partial ? (
    <>
      <title>{title}</title>
      {slot}
    </>
  ) : (
    <Layout title={title} appName={appName}>
      {slot}
    </Layout>
  )
  const html = String(await page)
  const at = html.indexOf(SLOT)
  const parts: [string, string] = [html.slice(0, at), html.slice(at + SLOT.length)]
  if (shells.size < SHELLS_MAX) shells.set(key, parts)
  return parts
}

/** `c.render` with a status: error answers keep their real status (422, 409, 429, 503). */
export function render(
  c: Context,
  title: string,
  content: Content,
  status: ContentfulStatusCode = 200,
) {
  c.status(status)
  return c.render(content, { title })
}

/**
 * Sends the browser to `path`: a 303 for plain forms, or for htmx a 204 with HX-Location, which
 * htmx follows as a navigation that keeps the page alive (fetch would silently follow a 3xx and swap
 * the target page into the form).
 */
export function navigate(c: Context, to: string) {
  const path = internalPath(c, to)
  if (!isHtmx(c)) return c.redirect(path, 303)
  // A history restore must not leave the page it was refused under in history: replace, not push.
  const replace = c.req.header('HX-History-Restore-Request') === 'true'
  c.header('HX-Location', JSON.stringify(replace ? { path, replace: 'true' } : { path }))
  return c.body(null, 204)
}

/**
 * Sends the browser to `path` with a full page load: for a `next` that may be a page of the team's
 * own app (front mode), whose document htmx must not swap into this one. A 303 for plain forms, a
 * 204 with HX-Redirect for htmx.
 */
export function leave(c: Context, path: string) {
  if (!isHtmx(c)) return c.redirect(path, 303)
  c.header('HX-Redirect', path)
  return c.body(null, 204)
}

/**
 * A refused form that replaces itself (`HxForm` with an `id`): for htmx, the form alone; without
 * JavaScript, the whole page around it.
 */
export async function refuse(
  c: Context,
  status: ContentfulStatusCode,
  title: string,
  form: Content,
  page: Content,
) {
  if (!isPartial(c)) return render(c, title, page, status)
  c.header('Vary', VARY)
  return c.html(prefixLinks(String(await form), mountOf(c)), status)
}
