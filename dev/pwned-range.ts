import { createHash, randomBytes, randomInt } from 'node:crypto'
import { createServer, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { commonPasswords } from '../src/core/passwords/common'
import { KNOWN_BREACHED_PASSPHRASES, PADDING_DECOYS } from './pwned-range-corpus'

export { KNOWN_BREACHED_PASSPHRASES, PADDING_DECOYS } from './pwned-range-corpus'

export interface PwnedRangeOptions {
  /** 0 (default) picks a free port. Binds 127.0.0.1 only. */
  port?: number
  /** Breached passwords, most common first; defaults to the blocklist plus the known passphrases. */
  corpus?: readonly string[]
  /** Passwords served only as count-0 padding lines (default PADDING_DECOYS). */
  decoys?: readonly string[]
}

export interface PwnedRange {
  /** `http://127.0.0.1:PORT`: the base URL for `isPwned`. */
  url: string
  /** Each request as `GET /range/ABCDE Add-Padding: true` (the header part only when sent). */
  requests: string[]
  /** Stops listening and closes open connections. Idempotent. */
  stop(): Promise<void>
}

const PREFIX = /^\/range\/([0-9A-Fa-f]{5})$/
/** The stand-in's request log as JSON, for tests that run where `requests` cannot be read. */
export const REQUEST_LOG_PATH = '/__requests'

const sha1 = (text: string) => createHash('sha1').update(text, 'utf8').digest('hex').toUpperCase()

function reply(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, ['Content-Type', type, 'Content-Length', String(Buffer.byteLength(body))])
  res.end(body)
}

/** Suffix -> count lines by prefix, the shape the range API serves. */
function indexByPrefix(corpus: readonly string[], count: (i: number) => number) {
  const byPrefix = new Map<string, Map<string, number>>()
  corpus.forEach((password, i) => {
    const hash = sha1(password)
    const lines = byPrefix.get(hash.slice(0, 5)) ?? new Map<string, number>()
    lines.set(hash.slice(5), Math.max(lines.get(hash.slice(5)) ?? 0, count(i)))
    byPrefix.set(hash.slice(0, 5), lines)
  })
  return byPrefix
}

/**
 * A local stand-in of the Have I Been Pwned range API (`GET /range/{5 hex}`): `SUFFIX:COUNT` lines
 * joined by CRLF, sorted by suffix, padded to 800-1000 lines with count-0 decoys when the request
 * carries `Add-Padding: true`, 400 for a malformed prefix. It records every request's path and
 * padding header, and serves that log as JSON at `/__requests`.
 */
export async function startPwnedRange(options: PwnedRangeOptions = {}): Promise<PwnedRange> {
  const corpus = options.corpus ?? [...commonPasswords(), ...KNOWN_BREACHED_PASSPHRASES]
  const breached = indexByPrefix(corpus, (i) => corpus.length - i)
  const decoys = indexByPrefix(options.decoys ?? PADDING_DECOYS, () => 0)
  const requests: string[] = []

  const server = createServer((req, res) => {
    const path = req.url ?? '/'
    if (req.method === 'GET' && path === REQUEST_LOG_PATH) {
      return reply(res, 200, 'application/json', JSON.stringify(requests))
    }
    const padding = req.headers['add-padding']?.toString()
    requests.push(`${req.method} ${path}${padding === undefined ? '' : ` Add-Padding: ${padding}`}`)
    if (req.method !== 'GET') return reply(res, 405, 'text/plain', 'Method not allowed')
    const prefix = PREFIX.exec(path)?.[1]?.toUpperCase()
    if (!prefix) {
      const bad = path.startsWith('/range/')
      if (bad) return reply(res, 400, 'text/plain', 'The hash prefix was not in a valid format')
      return reply(res, 404, 'text/plain', 'Not found')
    }
    const lines = new Map(breached.get(prefix))
    if (padding?.toLowerCase() === 'true') {
      for (const [suffix] of decoys.get(prefix) ?? []) if (!lines.has(suffix)) lines.set(suffix, 0)
      const target = randomInt(800, 1001)
      while (lines.size < target)
        lines.set(randomBytes(18).toString('hex').slice(0, 35).toUpperCase(), 0)
    }
    const body = [...lines]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([suffix, count]) => `${suffix}:${count}`)
      .join('\r\n')
    reply(res, 200, 'text/plain', body)
  })

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve())
  })
  const { port } = server.address() as AddressInfo
  let stopped: Promise<void> | undefined
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    stop: () =>
      (stopped ??= new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      })),
  }
}
