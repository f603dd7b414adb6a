// The production-runtime benchmark: the deploy bundle in workerd, the local PlanetScale stack
// behind it, a reference Worker beside it, load from autocannon, CPU from /proc, statements from
// MySQL. `runBench` returns the figures; run.ts prints them.
import { mkdtemp, rm } from 'node:fs/promises'
import { cpus, tmpdir } from 'node:os'
import { join } from 'node:path'
import bcrypt from 'bcryptjs'
import { createUsers, deviceCookies, login } from './accounts'
import { checkBudgets, type BudgetResult } from './budgets'
import { measureFeatureBytes, type FeatureBytes } from './feature-bytes'
import { noopServer } from './gateway'
import { percentile, runLoad, type LoadResult, type Scenario } from './load'
import { measurePointSelect, measureWorkerdBcrypt, type PointSelectResult } from './point-select'
import { cpuMs } from './proc'
import { APP_HEADERS, BENCH_PASSWORD, send, sessionCookie } from './requests'
import { buildScenarios, loginScenario } from './scenarios'
import { startServices } from './services'
import { startBenchStack, type BenchStack } from './stack'
import type { RunningWorkerd } from './workerd'

export interface BenchOptions {
  /** A short run for the test suite: one round of 0.5 s; timings are not meaningful. */
  quick?: boolean
  /** Seconds per scenario run (default 3, quick 0.5). */
  seconds?: number
  connections?: number
  rounds?: number
  log?: (line: string) => void
}

export interface ScenarioReport {
  name: string
  /** False when the route does not exist yet (answered 404): reported as n/a. */
  available: boolean
  requests: number
  /** Median over rounds, and the spread. */
  rps: number
  rpsMin: number
  rpsMax: number
  p50Ms: number
  p99Ms: number
  errors: number
  /** Requests per second relative to the reference Worker's. */
  refRatio: number
  workerdCpuMs: number
  gatewayCpuMs: number
  mysqlCpuMs: number
  /** Counted by MySQL over a few sequential requests outside the load runs. */
  statements: number | null
  notes: string[]
}

export interface BenchReport {
  date: string
  machine: { cpus: number; cpuModel: string; node: string }
  settings: {
    quick: boolean
    seconds: number
    connections: number
    rounds: number
    transport: string
  }
  bundle: {
    app: { raw: number; gzip: number; shares: Array<{ name: string; rawBytes: number }> }
    reference: { raw: number; gzip: number }
    /** What each listed capability adds, gzipped (feature-bytes.ts). */
    features: FeatureBytes[]
  }
  scenarios: ScenarioReport[]
  pointSelect: PointSelectResult
  /** bcryptjs compareSync at cost 4 in workerd, median ms: what a login at cost 4 spends hashing. */
  bcrypt4Ms: number
  /** The same compare in Node, for reference: V8 there runs it at another speed. */
  bcrypt4NodeMs: number
  /** POST /login at cost 4, one request at a time (Node's fetch), median ms. */
  login4SequentialP50Ms: number
  budgets: BudgetResult[]
}

const ROWS = 1000

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * CPU ms of each process once all of them have gone quiet: requests still in flight when a run
 * stops (a cost-10 bcrypt is 100 ms) are charged to the run that sent them, and so are MySQL's
 * purge and page flushing, which run on after the last answer (they were billed to the next
 * scenario when only workerd and the gateway were waited for: the cost-10 login, which follows the
 * cost-4 login's thousands of writes).
 */
async function settledCpu(pids: number[]): Promise<number[]> {
  let last = pids.map(cpuMs)
  for (let i = 0; i < 50; i++) {
    await sleep(100)
    const now = pids.map(cpuMs)
    const busy = now.reduce((sum, ms, j) => sum + ms - last[j]!, 0)
    last = now
    if (busy <= 10) break
  }
  return last
}

function median(values: number[]): number {
  return percentile(values, 50)
}

/** Runs every scenario, the point-SELECT comparison and the budget checks. */
export async function runBench(opts: BenchOptions = {}): Promise<BenchReport> {
  const quick = opts.quick ?? false
  const seconds = opts.seconds ?? (quick ? 0.5 : 3)
  const connections = opts.connections ?? 10
  const rounds = opts.rounds ?? (quick ? 1 : 3)
  const log = opts.log ?? (() => {})
  const tmp = await mkdtemp(join(tmpdir(), 'edge-auth-bench-'))
  let stack: BenchStack | undefined
  let workerd: RunningWorkerd | undefined
  try {
    log('bench: starting MySQL, gateway and workerd')
    stack = await startBenchStack()
    await stack.direct.query(
      'CREATE TABLE bench (id BIGINT UNSIGNED PRIMARY KEY, name VARCHAR(64) NOT NULL, created_at DATETIME NOT NULL)',
    )
    const values = Array.from({ length: ROWS }, (_, i) => [i + 1, `user-${i + 1}`, new Date()])
    await stack.direct.query('INSERT INTO bench (id, name, created_at) VALUES ?', [values])
    const started = await startServices(stack, tmp)
    workerd = started.workerd
    const { urls, bundles } = started
    const home = await send(urls.app, 'GET', '/', { headers: APP_HEADERS })
    if (home.status !== 200) {
      throw new Error(`the app answered GET / with ${home.status}:\n${workerd.logTail()}`)
    }

    log('bench: creating accounts and sessions')
    // Enough cost-10 accounts that none reaches the 20-session cap during a run (about 250
    // logins): a typical login, not the rarer one that also ends its oldest session, whose extra
    // MySQL work `npm run bench:statements` measures on its own. The signed-in page's account is
    // its own, so no login's trim can end the session the page scenarios use.
    const [users10, users4, [reader]] = await Promise.all([
      createUsers(urls.app, quick ? 4 : 48, 'c10'),
      createUsers(urls.app4, quick ? 4 : 8, 'c4'),
      createUsers(urls.app, 1, 'reader'),
    ])
    const signedIn = await login(urls.app, reader!)
    const account = await send(urls.app, 'GET', '/account', {
      headers: { ...APP_HEADERS, Cookie: signedIn },
    })

    // Sessions for logout come from cost-4 logins (cheap to mint) and are used up one per request.
    const pool: string[] = []
    const harvest = (_status: number, headers: Record<string, string | string[]>) => {
      const raw = headers['set-cookie'] ?? headers['Set-Cookie']
      const cookie = sessionCookie(raw === undefined ? [] : ([] as string[]).concat(raw))
      if (cookie) pool.push(cookie)
    }
    const mint = async (count: number) => {
      const minter = loginScenario('mint', urls.app4, users4)
      await runLoad(minter, { amount: count, connections, onResponse: harvest })
    }

    const devices10 = await deviceCookies(urls.app, users10)
    const scenarios = buildScenarios(urls, { signedIn, users10, users4, pool, devices10 })
    const available = (s: Scenario) => s.path !== '/account' || account.status !== 404
    const bcryptHeavy = (s: Scenario) => / cost 10(, known device)?$/.test(s.name)

    // Statements per request, counted by MySQL over sequential requests with nothing else running.
    log('bench: counting statements')
    await mint(quick ? 20 : 200)
    const statements = new Map<string, number>()
    for (const s of scenarios.filter(available)) {
      const count = bcryptHeavy(s) ? 2 : 5
      const before = await settled(stack)
      for (let i = 0; i < count; i++) {
        const parts = s.next?.() ?? {}
        const res = await send(s.url, s.method, s.path, {
          headers: { ...s.headers, ...parts.headers },
          body: parts.body,
        })
        if (res.status !== s.expect) {
          throw new Error(
            `${s.name} answered ${res.status}, expected ${s.expect}: ${res.text.slice(0, 300)}`,
          )
        }
      }
      statements.set(s.name, ((await settled(stack)) - before) / count)
    }

    // JIT and connection warm-up; a quick run reports no timing worth warming up for.
    if (!quick) {
      log('bench: warming up')
      for (const s of scenarios.filter(available)) {
        await runLoad(s, { amount: bcryptHeavy(s) ? 4 : 300, connections })
      }
    }

    const runs = new Map<string, Array<LoadResult & { cpu: [number, number, number] }>>()
    const logoutAmount = quick ? 50 : 1500
    for (let round = 0; round < rounds; round++) {
      log(`bench: round ${round + 1} of ${rounds}`)
      // Rotate the order each round, so drifting machine load hits every scenario alike.
      const order = scenarios.filter(available)
      const rotated = [
        ...order.slice(round % order.length),
        ...order.slice(0, round % order.length),
      ]
      for (const s of rotated) {
        const isLogout = s.path === '/logout'
        if (isLogout && pool.length < logoutAmount) await mint(logoutAmount - pool.length)
        const pids = [workerd.pid, stack.gatewayPid, stack.mysqldPid]
        const cpuBefore = await settledCpu(pids)
        const result = await runLoad(s, {
          connections,
          // Logout runs until its pool of live sessions is used up; a quick run takes a few
          // cost-10 requests, which would not finish within its half second.
          ...(isLogout
            ? { amount: logoutAmount }
            : quick && bcryptHeavy(s)
              ? { amount: 4 }
              : { seconds }),
          ...(s.path === '/login' ? { onResponse: harvest } : {}),
        })
        const cpuAfter = await settledCpu(pids)
        const cpu = cpuAfter.map((after, i) => after - cpuBefore[i]!) as [number, number, number]
        runs.set(s.name, [...(runs.get(s.name) ?? []), { ...result, cpu }])
      }
    }

    // The login budget is about one person's wait, not a queue: time cost-4 logins one at a time.
    const login4 = scenarios.find((s) => s.name === 'POST /login cost 4')!
    const sequential: number[] = []
    for (let i = 0; i < (quick ? 10 : 100); i++) {
      const parts = login4.next!()!
      const t = performance.now()
      const res = await send(login4.url, 'POST', '/login', {
        headers: { ...login4.headers, ...parts.headers },
        body: parts.body,
      })
      sequential.push(performance.now() - t)
      if (res.status !== 303) throw new Error(`sequential login answered ${res.status}`)
    }

    log('bench: point SELECTs')
    const noop = await noopServer()
    const noopUrl = `http://bench:unused-password@${new URL(noop.url).host}`
    const pointSelect = await measurePointSelect(stack.direct, urls.pointSelect, quick, noopUrl)
    noop.close()
    const bcrypt4Ms = await measureWorkerdBcrypt(urls.pointSelect, quick)

    const hash = bcrypt.hashSync(BENCH_PASSWORD, 4)
    const bcryptTimes = Array.from({ length: quick ? 10 : 50 }, () => {
      const t = performance.now()
      bcrypt.compareSync(BENCH_PASSWORD, hash)
      return performance.now() - t
    })

    const reports: ScenarioReport[] = scenarios.map((s) => {
      const results = runs.get(s.name) ?? []
      const requests = results.reduce((sum, r) => sum + r.requests, 0)
      const rates = results.map((r) => r.requests / r.seconds)
      const latencies = results.flatMap((r) => r.latencies)
      // Every request written costs the server its work, answered before the run ended or not.
      const sent = results.reduce((sum, r) => sum + r.sent, 0)
      const perRequest = (i: 0 | 1 | 2) =>
        sent > 0 ? results.reduce((sum, r) => sum + r.cpu[i], 0) / sent : NaN
      const notes: string[] = []
      if (!available(s)) notes.push('n/a: the route answers 404')
      if (results.some((r) => r.exhausted)) notes.push('session pool ran dry in a round')
      return {
        name: s.name,
        available: available(s),
        requests,
        rps: rates.length ? median(rates) : NaN,
        rpsMin: rates.length ? Math.min(...rates) : NaN,
        rpsMax: rates.length ? Math.max(...rates) : NaN,
        p50Ms: percentile(latencies, 50),
        p99Ms: percentile(latencies, 99),
        errors: results.reduce((sum, r) => sum + r.errors, 0),
        refRatio: NaN,
        workerdCpuMs: perRequest(0),
        gatewayCpuMs: perRequest(1),
        mysqlCpuMs: perRequest(2),
        statements: statements.get(s.name) ?? null,
        notes,
      }
    })
    const reference = reports[0]!
    for (const r of reports) r.refRatio = r.rps / reference.rps

    const report: BenchReport = {
      date: new Date().toISOString(),
      machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? '?', node: process.version },
      settings: {
        quick,
        seconds,
        connections,
        rounds,
        transport:
          'plain http on loopback with X-Forwarded-Proto: https (TLS terminated in front, as on Cloudflare)',
      },
      bundle: {
        app: {
          raw: bundles.app.rawBytes,
          gzip: bundles.app.gzipBytes,
          shares: bundles.app.shares,
        },
        reference: { raw: bundles.reference.rawBytes, gzip: bundles.reference.gzipBytes },
        features: await measureFeatureBytes(),
      },
      scenarios: reports,
      pointSelect,
      bcrypt4Ms,
      bcrypt4NodeMs: median(bcryptTimes),
      login4SequentialP50Ms: median(sequential),
      budgets: [],
    }
    report.budgets = checkBudgets(report, scenarios)
    return report
  } finally {
    await workerd?.stop()
    await stack?.stop()
    await rm(tmp, { recursive: true, force: true })
  }
}

/**
 * The statement count once work after the answers (mail, activity lines) has landed: read until
 * two reads a moment apart agree.
 */
async function settled(stack: { statements(): Promise<number> }): Promise<number> {
  let last = await stack.statements()
  for (let i = 0; i < 50; i++) {
    await new Promise((r) => setTimeout(r, 100))
    const now = await stack.statements()
    if (now === last) return now
    last = now
  }
  return last
}
