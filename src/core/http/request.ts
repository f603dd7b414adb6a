import type { Context } from 'hono'

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]'])

/** True for the hosts a developer's own machine answers on (wrangler dev, tests over http). */
export function isLoopback(hostname: string): boolean {
  return LOOPBACK_HOSTS.has(hostname) || hostname.endsWith('.localhost')
}

/**
 * The client's address as Cloudflare reports it (`CF-Connecting-IP`, which clients cannot set at
 * the edge), or `unknown` when the request did not come through Cloudflare (local development).
 */
export function clientAddress(c: Context): string {
  return c.req.header('CF-Connecting-IP')?.trim() || 'unknown'
}

/** Where this request comes from, in words, for the session list (Cloudflare's `cf` when present). */
export function requestOrigin(c: Context): { userAgent: string; location: string } {
  const cf = (c.req.raw as { cf?: Record<string, unknown> }).cf
  const place = [cf?.['city'], cf?.['country']].filter((p) => typeof p === 'string' && p)
  return { userAgent: c.req.header('User-Agent') ?? '', location: place.join(', ') }
}
