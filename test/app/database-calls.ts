import { vi } from 'vitest'

/** Activity rows written after answers since the module loaded (see `recordDatabaseCalls`). */
export const activityWrites = { count: 0 }

/** One HTTP call of the driver to the gateway: one SQL statement outside transactions. */
export interface Call {
  start: number
  end: number
}

/**
 * Records the driver's calls from now until `vi.restoreAllMocks()`; other fetches pass through.
 * The returned array fills as calls start and each entry's `end` is set when it answers.
 */
export function recordDatabaseCalls(): Call[] {
  const calls: Call[] = []
  const real = globalThis.fetch
  vi.spyOn(globalThis, 'fetch').mockImplementation(async (input, init) => {
    if (!String(input instanceof Request ? input.url : input).includes('/psdb.v1alpha1.Database/'))
      return real(input, init)
    // The activity line (features/activity) is written after the answer, off the request's path:
    // it is counted apart (`activityWrites`), or a count would depend on when waitUntil ran.
    if (typeof init?.body === 'string' && init.body.includes('insert into `security_events`')) {
      activityWrites.count += 1
      return real(input, init)
    }
    const call = { start: performance.now(), end: Infinity }
    calls.push(call)
    try {
      return await real(input, init)
    } finally {
      call.end = performance.now()
    }
  })
  return calls
}

/** Counts the driver's calls from now on (see `recordDatabaseCalls`). */
export function countDatabaseCalls(): () => number {
  const calls = recordDatabaseCalls()
  return () => calls.length
}

/**
 * Sequential round trips among the calls: the longest chain of calls each started after the one
 * before it had answered. Calls made together in one Promise.all count once.
 */
export function roundTrips(calls: Call[]): number {
  const depth = new Map<Call, number>()
  const sorted = [...calls].sort((a, b) => a.start - b.start)
  for (const call of sorted) {
    const before = sorted.filter((c) => c.end <= call.start).map((c) => depth.get(c) ?? 1)
    depth.set(call, 1 + Math.max(0, ...before))
  }
  return Math.max(0, ...depth.values())
}
