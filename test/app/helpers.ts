import { createExecutionContext, env, SELF, waitOnExecutionContext } from 'cloudflare:test'
import { count, eq, like } from 'drizzle-orm'
import { decrypt } from 'hono-sessions'
import { vi } from 'vitest'
import { subscriberPrefix } from '../../src/core/security/addresses'
import { hashSessionId } from '../../src/core/sessions/sessions'
import { keyedHash } from '../../src/core/security/throttle'
import { createDb } from '../../src/core/db/client'
import { users } from '../../src/core/db/schema'
import { loginThrottles } from '../../src/core/security/tables'
import { atMount, fromMount, noteNext, urlAtMount } from './mounted'

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

// Every request goes through `atMount` and every answer through `fromMount` (./mounted.ts): the
// identity at the root, the product's paths under MOUNT_PATH (project app-mounted).

export async function get(path: string, opts: Sent = {}) {
  const url = `${ORIGIN}${atMount(path)}`
  return fromMount(await SELF.fetch(url, { headers: requestHeaders(opts), redirect: 'manual' }))
}

export function post(path: string, fields: Record<string, string>, opts: Sent = {}) {
  return send('POST', path, fields, opts)
}

export async function send(
  method: string,
  path: string,
  fields: Record<string, string>,
  opts: Sent = {},
) {
  const headers = requestHeaders(opts)
  if (!headers.has('Origin')) headers.set('Origin', ORIGIN)
  headers.set('Content-Type', 'application/x-www-form-urlencoded')
  noteNext(path, fields)
  const res = await SELF.fetch(`${ORIGIN}${atMount(path)}`, {
    method,
    body: new URLSearchParams(fields),
    headers,
    redirect: 'manual',
  })
  return fromMount(res)
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
  const url = init.url ? urlAtMount(init.url) : `${ORIGIN}${atMount(path)}`
  if (init.body instanceof URLSearchParams) noteNext(path, init.body)
  if (init.method === 'POST') {
    headers.set('Origin', new URL(url).origin)
    headers.set('Content-Type', 'application/x-www-form-urlencoded')
  }
  const request = new Request(url, { ...init, headers, redirect: 'manual' })
  const ctx = createExecutionContext()
  const res = await worker.fetch(request, { ...env, ...overrides } as typeof env, ctx)
  await waitOnExecutionContext(ctx)
  return fromMount(res)
}

/** Posts a body exactly as given (raw bytes, odd encodings, other content types). */
export async function postRaw(
  path: string,
  body: BodyInit,
  opts: Sent & { contentType?: string | null; method?: string } = {},
) {
  const headers = requestHeaders(opts)
  if (!headers.has('Origin')) headers.set('Origin', ORIGIN)
  if (opts.contentType !== null) {
    headers.set('Content-Type', opts.contentType ?? 'application/x-www-form-urlencoded')
  }
  const res = await SELF.fetch(`${ORIGIN}${atMount(path)}`, {
    method: opts.method ?? 'POST',
    body,
    headers,
    redirect: 'manual',
  })
  return fromMount(res)
}

/** What Hono's JSX writes for text: the five characters it escapes. */
export function escapeHtml(text: string) {
  return text.replace(
    /[&<>'"]/g,
    (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', "'": '&#39;', '"': '&quot;' })[ch]!,
  )
}

/**
 * Silences the app's JSON log lines for a test file (thousands of audit lines otherwise) and keeps
 * them for assertions: `lines()` parses what was written since the last `clear()`.
 */
export function captureLogs() {
  const written: string[] = []
  const keep = (...args: unknown[]) => {
    written.push(args.map(String).join(' '))
  }
  const spies = (['log', 'warn', 'error'] as const).map((level) =>
    vi.spyOn(console, level).mockImplementation(keep),
  )
  return {
    raw: () => written.join('\n'),
    lines: () =>
      written.flatMap((line) => {
        try {
          return [JSON.parse(line) as Record<string, unknown>]
        } catch {
          return []
        }
      }),
    clear: () => {
      written.length = 0
    },
    restore: () => spies.forEach((spy) => spy.mockRestore()),
  }
}

/** The throttle table's key for a rule (keyed hash under the Worker's secret), for tests to inspect. */
export async function throttleKey(text: string) {
  const hash = await keyedHash(env.SESSION_SECRET!)
  return hash(text)
}

/** The per-account throttle key of a (normalised) email. */
export const accountKey = (email: string) => throttleKey(`account\n${email}`)

/** The email + subscriber throttle key. */
export const pairKey = (email: string, address: string) =>
  throttleKey(`pair\n${email}\n${subscriberPrefix(address)}`)

/** Ends a throttle block now, as if its Retry-After had passed (no sleeping in tests). */
export async function expireBlock(keyHash: string) {
  await db()
    .update(loginThrottles)
    .set({ blockedUntil: new Date(Date.now() - 2000) })
    .where(eq(loginThrottles.keyHash, keyHash))
}

/** Users whose email starts with `prefix` (a test's unique tag). */
export async function countUsers(prefix: string) {
  const [row] = await db()
    .select({ n: count() })
    .from(users)
    .where(like(users.email, `${prefix}%`))
  return Number(row?.n)
}

/** What a `name=value` session cookie holds under its seal: the session id and the user id. */
export async function unsealCookie(cookie: string) {
  const sealed = decodeURIComponent(cookie.slice(cookie.indexOf('=') + 1))
  return (await decrypt(env.SESSION_SECRET!, sealed)) as { i: string; u: number }
}

/** The session id hash a `name=value` session cookie carries. */
export async function sessionHashOf(cookie: string) {
  return hashSessionId((await unsealCookie(cookie)).i)
}

/** The id of the user with this (normalised) email. */
export async function userIdOf(email: string): Promise<number> {
  const [row] = await db().select({ id: users.id }).from(users).where(eq(users.email, email))
  return row!.id
}
