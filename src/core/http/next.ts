import type { Context } from 'hono'
import { BODY_METHODS } from './middleware'

// Where a sign-in returns to. Only a path on this origin is ever accepted (ASVS 5.0 V3.7.2 and
// OWASP's Unvalidated Redirects cheat sheet: redirects go to an allowlist, here "this origin"):
// anything else falls back to the caller's default, silently, since a hostile value is no user error.

/** The longest `next` kept: a path and query, not a document. */
export const NEXT_MAX = 1024
/** The name of the parameter, in query strings and in forms. */
export const NEXT_PARAM = 'next'

// Printable ASCII after the leading slash. This rules out spaces, tabs, CR/LF and every other
// control character (browsers strip tabs and newlines from URLs, so `/\t/evil.example` becomes
// `//evil.example`), and every non-ASCII character (full-width solidi and the like, which some
// parsers fold into `/`); a real path arrives percent-encoded.
const PRINTABLE_PATH = /^\/[\x21-\x7e]*$/
// After percent-decoding: no control characters, and no backslash anywhere (WHATWG URL treats `\`
// as `/` in http(s) URLs, so `/\evil.example` is `//evil.example`, a scheme-relative URL).
const DECODED_HOSTILE = /[\x00-\x1f\x7f\\]/
const SLASH_SLASH = /^\/[/\\]/
// A base that no request has: resolving against it shows whether the value stays on "this" origin.
const BASE = 'https://next.invalid'

/**
 * `raw` if it is a same-origin path (`/…`, not `//…`, not `/\…`, no scheme, no control characters,
 * nothing that percent-decoding or dot segments would turn into one of those), normalised as a
 * browser would resolve it; otherwise undefined.
 */
export function safeNext(raw: unknown): string | undefined {
  if (typeof raw !== 'string' || raw.length > NEXT_MAX || !PRINTABLE_PATH.test(raw))
    return undefined
  if (SLASH_SLASH.test(raw) || raw.includes('\\')) return undefined
  let decoded: string
  try {
    decoded = decodeURIComponent(raw)
  } catch {
    return undefined // malformed percent-encoding: no honest link has it
  }
  // An app behind the front may decode once more before it redirects: `/%2F%2Fevil.example` must
  // not become `//evil.example` there.
  if (SLASH_SLASH.test(decoded) || DECODED_HOSTILE.test(decoded)) return undefined
  let url: URL
  try {
    url = new URL(raw, BASE)
  } catch {
    return undefined
  }
  if (url.origin !== BASE) return undefined
  // Dot segments resolve here as in the browser: `/a/..//evil.example` is the path `//evil.example`.
  const path = url.pathname + url.search + url.hash
  // Percent-encoding can triple a value (`{` is `%7B`): what is kept stays within NEXT_MAX too, so
  // every carrier (a sealed cookie, a link) has room for it.
  return SLASH_SLASH.test(path) || path.length > NEXT_MAX ? undefined : path
}

/**
 * The request's `next`, checked: from a form body (the hidden `NextField`) on methods that carry
 * one, else from the query string. Undefined when absent or refused. Safe after a form validator has
 * read the body (Hono caches the parsed form).
 */
export async function nextFrom(c: Context): Promise<string | undefined> {
  if (BODY_METHODS.includes(c.req.method)) {
    const body = await c.req.parseBody().catch(() => ({}) as Record<string, unknown>)
    const posted = (body as Record<string, unknown>)[NEXT_PARAM]
    if (posted !== undefined) return safeNext(posted)
  }
  return safeNext(c.req.query(NEXT_PARAM))
}

/** `path` with `next` added to its query (when there is one to carry), for links and redirects. */
export function withNext(path: string, next: string | undefined): string {
  if (next === undefined) return path
  const joiner = path.includes('?') ? '&' : '?'
  return `${path}${joiner}${NEXT_PARAM}=${encodeURIComponent(next)}`
}
