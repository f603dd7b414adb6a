// A small fetch() over node:http with a keep-alive Agent, for the benchmark only: it lets the Node
// process reach the gateway without undici's per-request WHATWG machinery (Request/Response objects,
// web streams, AbortSignals). Enough of fetch for `@planetscale/database` and plain JSON clients:
// http: URLs, method, headers, string/byte bodies, an AbortSignal; status, ok, headers, text(), json().
import { Agent, request, type AgentOptions, type IncomingMessage } from 'node:http'
import type { Socket } from 'node:net'

export interface AgentFetchInit {
  method?: string
  headers?: Record<string, string> | Headers | Array<[string, string]>
  body?: string | Uint8Array | null
  signal?: AbortSignal | null
  /** Accepted and ignored, as node:http never caches. */
  cache?: RequestCache
}

export interface AgentFetchResponse {
  readonly ok: boolean
  readonly status: number
  readonly statusText: string
  readonly url: string
  readonly headers: Headers
  readonly bodyUsed: boolean
  text(): Promise<string>
  json(): Promise<unknown>
  arrayBuffer(): Promise<ArrayBuffer>
}

export type AgentFetch = (input: string | URL, init?: AgentFetchInit) => Promise<AgentFetchResponse>

function plainHeaders(headers: AgentFetchInit['headers']): Record<string, string> {
  const out: Record<string, string> = {}
  if (!headers) return out
  if (headers instanceof Headers) {
    headers.forEach((value, key) => (out[key] = value))
    return out
  }
  if (Array.isArray(headers)) {
    for (const [key, value] of headers) out[key.toLowerCase()] = value
    return out
  }
  for (const key of Object.keys(headers)) out[key.toLowerCase()] = headers[key]!
  return out
}

// The body is read as soon as the headers arrive (as undici does), and handed out once.
class AgentResponse implements AgentFetchResponse {
  private used = false
  private parsedHeaders: Headers | undefined
  private readonly body: Promise<Buffer>

  constructor(
    private readonly res: IncomingMessage,
    readonly url: string,
  ) {
    this.body = new Promise((resolve, reject) => {
      const chunks: Buffer[] = []
      let size = 0
      res.on('data', (chunk: Buffer) => {
        chunks.push(chunk)
        size += chunk.length
      })
      res.on('end', () => resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size)))
      res.on('error', reject)
      res.on('aborted', () => reject(new Error('response aborted')))
    })
    // Unread bodies must not surface as unhandled rejections.
    this.body.catch(() => undefined)
  }

  get status(): number {
    return this.res.statusCode ?? 0
  }

  get ok(): boolean {
    return this.status >= 200 && this.status < 300
  }

  get statusText(): string {
    return this.res.statusMessage ?? ''
  }

  get bodyUsed(): boolean {
    return this.used
  }

  get headers(): Headers {
    if (!this.parsedHeaders) {
      const headers = new Headers()
      const raw = this.res.rawHeaders
      for (let i = 0; i + 1 < raw.length; i += 2) headers.append(raw[i]!, raw[i + 1]!)
      this.parsedHeaders = headers
    }
    return this.parsedHeaders
  }

  private consume(): Promise<Buffer> {
    if (this.used) return Promise.reject(new TypeError('body already used'))
    this.used = true
    return this.body
  }

  async text(): Promise<string> {
    return (await this.consume()).toString('utf8')
  }

  async json(): Promise<unknown> {
    return JSON.parse(await this.text())
  }

  async arrayBuffer(): Promise<ArrayBuffer> {
    const bytes = await this.consume()
    return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer
  }
}

// Node's Agent re-arms TCP keep-alive (setsockopt) every time it parks a socket between requests;
// once per socket is enough. Parked sockets are still unref'd so they never hold the process open.
class KeepAliveAgent extends Agent {
  private readonly armed = new WeakSet<Socket>()
  private readonly keepAliveDelay: number

  constructor(options: AgentOptions) {
    super(options)
    this.keepAliveDelay = options.keepAliveMsecs ?? 1000
  }

  override keepSocketAlive(socket: Socket): boolean {
    if (!this.armed.has(socket)) {
      socket.setKeepAlive(true, this.keepAliveDelay)
      this.armed.add(socket)
    }
    socket.unref()
    return true
  }
}

/**
 * Returns a fetch() that sends every request through `agent` (default: a keep-alive Agent owned by
 * the returned function; call `close()` to destroy its idle sockets).
 */
export function agentFetch(agent: Agent = new KeepAliveAgent({ keepAlive: true })): AgentFetch & {
  close(): void
} {
  // Clients call one endpoint over and over: parse its URL once.
  let lastInput = ''
  let lastUrl: URL | undefined
  const parse = (input: string): URL => {
    if (input !== lastInput || !lastUrl) {
      lastUrl = new URL(input)
      lastInput = input
    }
    return lastUrl
  }
  const fetchImpl = (input: string | URL, init: AgentFetchInit = {}) =>
    new Promise<AgentFetchResponse>((resolve, reject) => {
      const url = typeof input === 'string' ? parse(input) : input
      if (url.protocol !== 'http:') {
        reject(new TypeError(`agentFetch supports http: URLs only, got ${url.protocol}`))
        return
      }
      const headers = plainHeaders(init.headers)
      // Credentials in the URL become Basic auth, as with fetch's URL handling in browsers.
      if (url.username && !headers.authorization) {
        headers.authorization = `Basic ${btoa(`${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`)}`
      }
      const body = init.body ?? undefined
      if (body !== undefined) headers['content-length'] = String(Buffer.byteLength(body))
      const signal = init.signal ?? undefined
      if (signal?.aborted) {
        reject(signal.reason)
        return
      }
      const req = request(
        {
          agent,
          host: url.hostname,
          port: url.port || 80,
          path: url.pathname + url.search,
          method: (init.method ?? 'GET').toUpperCase(),
          headers,
          signal,
        },
        (res) => resolve(new AgentResponse(res, url.href)),
      )
      req.on('error', reject)
      req.end(body)
    })
  return Object.assign(fetchImpl, { close: () => agent.destroy() })
}
