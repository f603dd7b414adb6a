import { env } from 'cloudflare:test'

// The flow tests run twice: at the root (project `app`) and with MOUNT_PATH=/auth (project
// `app-mounted`, test/app-mounted/vitest.config.ts). They are written with the product's own paths
// (`/welcome`); under a mount the helpers send every request under it (`atMount`) and read every
// answer back in product paths (`fromMount`), so the same assertions hold. A URL of the product
// that is not under the mount is never read back as a product path: it comes out as
// `/NOT-UNDER-MOUNT/…`, which no assertion expects. At the root both are the identity.

/** The pinned MOUNT_PATH of this project: '' at the root. */
export const MOUNT = (() => {
  const raw = ((env as { MOUNT_PATH?: string }).MOUNT_PATH ?? '/').trim()
  return raw === '/' ? '' : raw
})()

const OUTSIDE = '/NOT-UNDER-MOUNT'

// `next` is a path of the site, not of the product (issue 22): what a test sent as `next` comes
// back as it was, under a mount too.
const sentNext = new Set<string>()

/** Notes the `next` values a request carries (query string or form fields). */
export function noteNext(path: string, fields?: URLSearchParams | Record<string, string>) {
  if (!MOUNT) return
  const query = new URL(path, 'https://x.invalid').searchParams.get('next')
  if (query !== null) sentNext.add(query)
  const posted = fields instanceof URLSearchParams ? fields.get('next') : fields?.['next']
  if (posted) sentNext.add(posted)
}

/** A product path (`/welcome`, `/?next=…`) where the product answers it under the mount. */
export function atMount(path: string): string {
  if (!MOUNT || !path.startsWith('/')) return path
  noteNext(path)
  return path === '/' || path.startsWith('/?') ? MOUNT + path.slice(1) : MOUNT + path
}

/** An absolute URL of the test origin with its path moved under the mount. */
export function urlAtMount(url: string): string {
  if (!MOUNT) return url
  const parsed = new URL(url)
  const moved = new URL(atMount(parsed.pathname + parsed.search), parsed.origin)
  return moved.href
}

/** A root-relative URL of an answer, back in product paths; one outside the mount is marked. */
export function fromMountPath(url: string): string {
  if (!MOUNT || !url.startsWith('/') || url.startsWith('//')) return url
  if (url === MOUNT) return '/'
  if (url.startsWith(`${MOUNT}?`)) return `/${url.slice(MOUNT.length)}`
  if (url.startsWith(`${MOUNT}/`)) return url.slice(MOUNT.length)
  if (sentNext.has(url)) return url
  return OUTSIDE + url
}

/** An absolute URL of the test origin (a mailed link), back in product paths. */
export function fromMountUrl(url: string): string {
  if (!MOUNT) return url
  const parsed = new URL(url)
  const path = fromMountPath(parsed.pathname + parsed.search)
  return new URL(path, parsed.origin).href + (parsed.hash ?? '')
}

// Attributes of markup that hold URLs (as src/core/http/mount.ts moves them), and data attributes
// whose value is a path.
const URL_ATTRIBUTES =
  /(\s(?:href|action|src|hx-get|hx-post|hx-put|hx-patch|hx-delete|data-[a-z-]+)=")(\/[^"]*)"/g

/** An answer as the test reads it: headers and markup back in product paths (see above). */
export async function fromMount(res: Response): Promise<Response> {
  if (!MOUNT) return res
  const headers = new Headers()
  for (const [name, value] of res.headers) if (name !== 'set-cookie') headers.append(name, value)
  for (const cookie of res.headers.getSetCookie()) headers.append('Set-Cookie', cookie)
  for (const name of ['Location', 'HX-Redirect']) {
    const value = headers.get(name)
    if (value) headers.set(name, fromMountPath(value))
  }
  const refresh = /^(\d+; url=)(.*)$/.exec(headers.get('Refresh') ?? '')
  if (refresh) headers.set('Refresh', refresh[1]! + fromMountPath(refresh[2]!))
  const location = headers.get('HX-Location')
  if (location) {
    if (location.startsWith('{')) {
      const spec = JSON.parse(location) as { path: string }
      headers.set('HX-Location', JSON.stringify({ ...spec, path: fromMountPath(spec.path) }))
    } else headers.set('HX-Location', fromMountPath(location))
  }
  let body: BodyInit | null = res.body
  if ((headers.get('Content-Type') ?? '').includes('text/html')) {
    const html = await res.text()
    body = html.replace(
      URL_ATTRIBUTES,
      (_, attribute: string, url: string) => `${attribute}${fromMountPath(url)}"`,
    )
  }
  const status = res.status
  const nullBody = status === 101 || status === 204 || status === 205 || status === 304
  return new Response(nullBody ? null : body, { status, statusText: res.statusText, headers })
}
