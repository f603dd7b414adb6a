import { createExecutionContext, env, SELF, waitOnExecutionContext } from 'cloudflare:test'
import { createDb } from '../../src/db/client'

export const ORIGIN = 'https://edge-auth.test'
export const PASSWORD = 'a long enough passphrase'

/** The real driver against the real gateway, for checking what the app wrote. */
export const db = () => createDb(env.DATABASE_URL)

let counter = 0
/** An email no other test uses, so tests share one database without interfering. */
export function uniqueEmail(tag = 'user') {
  counter += 1
  return `${tag}-${Date.now().toString(36)}-${counter}-${Math.random().toString(36).slice(2, 8)}@example.com`
}

type Mode = 'plain' | 'htmx'

export interface Sent {
  cookie?: string
  mode?: Mode
  headers?: Record<string, string>
}

/** A client address of its own (an IPv6 /64 nobody else uses), so throttles never cross tests. */
export function uniqueAddress() {
  const group = () => Math.floor(Math.random() * 0x10000).toString(16)
  return `2001:db8:${group()}:${group()}::1`
}

function requestHeaders(opts: Sent): Headers {
  const headers = new Headers(opts.headers)
  if (!headers.has('CF-Connecting-IP')) headers.set('CF-Connecting-IP', uniqueAddress())
  if (opts.cookie) headers.set('Cookie', opts.cookie)
  if (opts.mode === 'htmx') {
    headers.set('HX-Request', 'true')
    if (!headers.has('HX-Request-Type')) headers.set('HX-Request-Type', 'partial')
  }
  return headers
}

export function get(path: string, opts: Sent = {}) {
  return SELF.fetch(`${ORIGIN}${path}`, { headers: requestHeaders(opts), redirect: 'manual' })
}

export function post(path: string, fields: Record<string, string>, opts: Sent = {}) {
  return send('POST', path, fields, opts)
}

export function send(
  method: string,
  path: string,
  fields: Record<string, string>,
  opts: Sent = {},
) {
  const headers = requestHeaders(opts)
  if (!headers.has('Origin')) headers.set('Origin', ORIGIN)
  headers.set('Content-Type', 'application/x-www-form-urlencoded')
  return SELF.fetch(`${ORIGIN}${path}`, {
    method,
    body: new URLSearchParams(fields),
    headers,
    redirect: 'manual',
  })
}

/** `name=value` of the named cookie in a response's Set-Cookie headers, for sending back. */
export function cookieFrom(res: Response, name: string): string | undefined {
  const header = res.headers.getSetCookie().find((h) => h.startsWith(`${name}=`))
  return header?.split(';')[0]
}

export const SESSION = '__Host-session'
export const FLASH = '__Host-flash'

export async function signup(fields: { username?: string; email: string; password?: string }) {
  const res = await post('/signup', {
    username: fields.username ?? 'Ada',
    email: fields.email,
    password: fields.password ?? PASSWORD,
  })
  if (res.status !== 303) throw new Error(`signup failed: ${res.status} ${await res.text()}`)
  return res
}

/** Signs up and logs in a fresh user; returns the session cookie to send. */
export async function signedIn(username = 'Ada') {
  const email = uniqueEmail()
  await signup({ username, email })
  const res = await post('/login', { email, password: PASSWORD })
  const cookie = cookieFrom(res, SESSION)
  if (res.status !== 303 || !cookie) throw new Error(`login failed: ${res.status}`)
  return { email, cookie }
}

/**
 * Runs the Worker's fetch handler in this isolate with changed bindings, for configurations the
 * shared worker does not have (another cost, a dead database, a missing secret).
 */
export async function callApp(
  path: string,
  overrides: Partial<Record<string, string>>,
  init: RequestInit & Sent & { url?: string } = {},
): Promise<Response> {
  const { default: worker } = await import('../../src/index')
  const headers = requestHeaders(init)
  new Headers(init.headers).forEach((v, k) => headers.set(k, v))
  const url = init.url ?? `${ORIGIN}${path}`
  if (init.method === 'POST') {
    headers.set('Origin', new URL(url).origin)
    headers.set('Content-Type', 'application/x-www-form-urlencoded')
  }
  const request = new Request(url, { ...init, headers, redirect: 'manual' })
  const ctx = createExecutionContext()
  const res = await worker.fetch(request, { ...env, ...overrides } as typeof env, ctx)
  await waitOnExecutionContext(ctx)
  return res
}
