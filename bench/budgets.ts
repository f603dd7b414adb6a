// The budgets, checked against one run. Timing budgets are reported, never enforced: the
// machine is shared and noisy. Statement and size budgets are exact and tests may assert them.
import type { BenchReport, ScenarioReport } from './harness'
import type { Scenario } from './load'

export interface BudgetResult {
  name: string
  kind: 'statements' | 'timing' | 'size' | 'info'
  pass: boolean
  detail: string
}

const x = (n: number) => `${n.toFixed(2)}x`

/** Every budget of issue 11 that this run can check, in the order the issue lists them. */
export function checkBudgets(report: BenchReport, scenarios: Scenario[]): BudgetResult[] {
  const byName = new Map(report.scenarios.map((s) => [s.name, s]))
  const get = (name: string) => byName.get(name)
  const ref = get('reference page')!
  const out: BudgetResult[] = []
  const timing = (name: string, pass: boolean, detail: string) =>
    out.push({ name, kind: 'timing', pass, detail })

  for (const page of ['GET / (sign-in page)', 'GET /signup']) {
    const s = get(page)!
    timing(`${page}: >= 0.9x reference req/s`, s.rps >= 0.9 * ref.rps, x(s.refRatio))
    const cpu = s.workerdCpuMs / ref.workerdCpuMs
    timing(`${page}: <= 1.2x reference CPU/request`, cpu <= 1.2, x(cpu))
  }
  const welcome = get('GET /welcome signed in')!
  const signIn = get('GET / (sign-in page)')!
  const welcomeCpu = welcome.workerdCpuMs / ref.workerdCpuMs
  timing('signed-in page: <= 2.5x reference CPU/request', welcomeCpu <= 2.5, x(welcomeCpu))
  // The floor under any page that reads the database once, for reading the two budgets above and
  // below: figures, not budgets.
  const floor = get('reference page + 1 query')
  const info = (name: string, detail: string) =>
    out.push({ name, kind: 'info', pass: true, detail })
  if (floor) {
    info(
      'reference page + 1 query: CPU/request over the reference page',
      x(floor.workerdCpuMs / ref.workerdCpuMs),
    )
    info(
      'signed-in page: CPU/request over the reference page + 1 query',
      x(welcome.workerdCpuMs / floor.workerdCpuMs),
    )
    info('signed-in page: req/s over the reference page + 1 query', x(welcome.rps / floor.rps))
  }
  const welcomeRate = welcome.rps / signIn.rps
  timing('signed-in page: >= 0.5x sign-in page req/s', welcomeRate >= 0.5, x(welcomeRate))
  // One request at a time: under 10 connections the p50 is mostly queueing behind the others.
  const login4 = report.login4SequentialP50Ms
  const beyond = login4 - report.bcrypt4Ms
  timing(
    'login at cost 4, sequential: p50 beyond the bcrypt compare <= 3 ms',
    beyond <= 3,
    `${login4.toFixed(2)} - ${report.bcrypt4Ms.toFixed(2)} = ${beyond.toFixed(2)} ms`,
  )

  for (const scenario of scenarios) {
    const s = byName.get(scenario.name) as ScenarioReport
    if (!scenario.statementBudget || s.statements === null) continue
    const { max, exact } = scenario.statementBudget
    out.push({
      name: `${scenario.name}: ${exact ? '' : '<= '}${max} statement${max === 1 ? '' : 's'}`,
      kind: 'statements',
      pass: exact ? s.statements === max : s.statements <= max,
      detail: `${s.statements}`,
    })
  }

  const kib = report.bundle.app.gzip / 1024
  out.push({
    name: 'Worker bundle <= 64 KiB gzipped',
    kind: 'size',
    pass: kib <= 64,
    detail: `${kib.toFixed(1)} KiB`,
  })
  const ps = report.pointSelect
  timing(
    'point SELECT, driver + gateway with workerd fetch: p50 <= 2x mysql2 direct',
    ps.ratio <= 2,
    `${ps.workerdDriverP50Ms.toFixed(3)} / ${ps.mysql2P50Ms.toFixed(3)} ms = ${x(ps.ratio)}`,
  )
  info(
    'point SELECT floor: the driver in workerd against a server that does nothing',
    `${ps.workerdFloorP50Ms.toFixed(3)} ms = ${x(ps.workerdFloorP50Ms / ps.mysql2P50Ms)} mysql2 direct`,
  )

  return out
}
