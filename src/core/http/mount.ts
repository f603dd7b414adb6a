import type { Context } from 'hono'

// MOUNT_PATH: the product under one path segment of a hostname it shares with a team's app (the
// app at example.com/*, the product at example.com/auth/*). Every URL the product makes for itself
// goes through `internalPath` (redirects, HX-Location, mail links) or `prefixLinks` (the markup of
// every page), so no feature needs to know where it is mounted.

/** One lower-case segment, such as `/auth`; `/` (the default) mounts at the root. */
export const MOUNT_SHAPE = /^\/[a-z0-9][a-z0-9_-]{0,63}$/

/** The mount of a request's configuration: '' at the root (also before the configuration is read). */
export function mountOf(c: Context): string {
  return (c.var as { config?: { mountPath: string } }).config?.mountPath ?? ''
}

/** `path` (one of the product's own, `/…`) where the product is mounted: `/welcome` → `/auth/welcome`. */
export function mountPath(mount: string, path: string): string {
  if (!mount) return path
  // The root page is the mount itself: `/` → `/auth`, `/?next=…` → `/auth?next=…`.
  if (path === '/' || path.startsWith('/?')) return mount + path.slice(1)
  return mount + path
}

/** `mountPath` for this request. */
export function internalPath(c: Context, path: string): string {
  return mountPath(mountOf(c), path)
}

// Every attribute of the product's markup that holds one of its URLs, including the data
// attributes its scripts fetch from (`data-passkey-load`: a name ending in `-load` or `-url`).
const URL_ATTRIBUTES =
  /(\s(?:href|action|src|hx-get|hx-post|hx-put|hx-patch|hx-delete|data-[a-z-]+-(?:load|url))=")\/(?!\/)([^"]*)/g

/** The product's markup with every root-relative URL moved under the mount. */
export function prefixLinks(html: string, mount: string): string {
  if (!mount) return html
  // The root page is the mount itself (`/` → `/auth`, `/?next=…` → `/auth?next=…`), as in mountPath.
  return html.replace(URL_ATTRIBUTES, (_, attribute: string, rest: string) =>
    rest === '' || rest.startsWith('?')
      ? `${attribute}${mount}${rest}`
      : `${attribute}${mount}/${rest}`,
  )
}
