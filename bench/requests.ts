// Building blocks for the scenarios' requests: distinct client addresses, form bodies, session
// cookies, and a plain fetch for setup and for counting statements.

/** Headers every request to the app carries: TLS was terminated in front, as on Cloudflare. */
export const APP_HEADERS: Record<string, string> = { 'X-Forwarded-Proto': 'https' }

/** What a browser's form post to `url` sends besides the body. */
export function formHeaders(url: string): Record<string, string> {
  return {
    ...APP_HEADERS,
    Origin: `https://${new URL(url).host}`,
    'Content-Type': 'application/x-www-form-urlencoded',
  }
}

let addressCounter = 0
/**
 * A client address no other request of this run used (10.0.0.0/8), sent as `CF-Connecting-IP`, so
 * per-address throttles of signup and login never cap the benchmark: it measures the app's cost
 * per request, not its throttle's verdict.
 */
export function nextAddress(): string {
  addressCounter += 1
  const n = addressCounter
  return `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`
}

/** The session cookie (`name=value`) among Set-Cookie headers, if one is set and not expired. */
export function sessionCookie(setCookies: string[]): string | undefined {
  for (const header of setCookies) {
    const pair = header.split(';')[0]!
    const eq = pair.indexOf('=')
    const name = pair.slice(0, eq)
    if (!/session/i.test(name) || eq === pair.length - 1) continue
    if (/;\s*max-age=0\b/i.test(header)) continue
    return pair
  }
  return undefined
}

export interface Sent {
  status: number
  setCookies: string[]
  location: string | null
  text: string
}

/** One request with Node's fetch, redirects not followed. */
export async function send(
  url: string,
  method: string,
  path: string,
  parts: { headers?: Record<string, string>; body?: string } = {},
): Promise<Sent> {
  const res = await fetch(`${url}${path}`, {
    method,
    headers: parts.headers,
    body: parts.body,
    redirect: 'manual',
  })
  return {
    status: res.status,
    setCookies: res.headers.getSetCookie(),
    location: res.headers.get('Location'),
    text: await res.text(),
  }
}

export const BENCH_PASSWORD = 'plum orbit canyon lantern 42'

export function form(fields: Record<string, string>): string {
  return new URLSearchParams(fields).toString()
}
