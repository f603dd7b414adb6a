// One load run of one scenario with autocannon, and the statistics the report needs. Latencies are
// taken from autocannon's per-response event (microsecond resolution) rather than its histogram,
// which rounds to whole milliseconds and leaves out non-2xx answers such as 303.
import autocannon, { type AutocannonRequest } from 'autocannon'

/** What one request of a scenario sends beyond the scenario's fixed headers. */
export interface RequestParts {
  headers?: Record<string, string>
  body?: string
}

export interface Scenario {
  name: string
  /** Base URL of the service under load. */
  url: string
  method: 'GET' | 'POST'
  path: string
  /** The status every answer must have; any other counts as an error. */
  expect: number
  headers: Record<string, string>
  /** Per-request parts; `undefined` means a consumable pool ran dry. */
  next?: () => RequestParts | undefined
  /** Statements each request may run, when the issue sets a budget for it. */
  statementBudget?: { max: number; exact?: boolean }
}

export interface LoadResult {
  /** Answers received. */
  requests: number
  /** Requests written, answered or not: the server works on each. */
  sent: number
  seconds: number
  latencies: number[]
  errors: number
  /** A consumable pool (logout sessions) ran dry before the run ended. */
  exhausted: boolean
}

export interface LoadOptions {
  seconds?: number
  amount?: number
  connections: number
  /** Sees every response's status and headers (harvesting session cookies, say). */
  onResponse?: (status: number, headers: Record<string, string | string[]>) => void
}

/** Drives `scenario` for a fixed duration (or amount) and concurrency. */
export async function runLoad(scenario: Scenario, opts: LoadOptions): Promise<LoadResult> {
  let exhausted = false
  let instance: ReturnType<typeof autocannon>
  const request: AutocannonRequest = {
    method: scenario.method,
    path: scenario.path,
    headers: scenario.headers,
  }
  if (scenario.next) {
    const next = scenario.next
    request.setupRequest = (req) => {
      const parts = next()
      if (!parts) {
        exhausted = true
        instance.stop()
        return req
      }
      return { ...req, headers: { ...scenario.headers, ...parts.headers }, body: parts.body }
    }
  }
  if (opts.onResponse) {
    const onResponse = opts.onResponse
    request.onResponse = (status, _body, _context, headers) => onResponse(status, headers)
  }
  const latencies: number[] = []
  let unexpected = 0
  const started = performance.now()
  instance = autocannon({
    url: scenario.url,
    connections: opts.amount ? Math.min(opts.connections, opts.amount) : opts.connections,
    ...(opts.amount ? { amount: opts.amount } : { duration: opts.seconds ?? 1 }),
    timeout: 30,
    requests: [request],
  })
  instance.on('response', (_client: unknown, status: number, _bytes: number, ms: number) => {
    latencies.push(ms)
    if (status !== scenario.expect) unexpected += 1
  })
  const result = await instance
  const seconds = (performance.now() - started) / 1000
  return {
    requests: latencies.length,
    sent: result.requests.sent,
    seconds,
    latencies,
    errors: unexpected + result.errors + result.timeouts,
    exhausted,
  }
}

/** The p-th percentile (0-100) of unsorted samples, nearest rank. */
export function percentile(samples: number[], p: number): number {
  if (samples.length === 0) return NaN
  const sorted = [...samples].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!
}
