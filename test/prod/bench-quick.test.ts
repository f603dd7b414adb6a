import { describe, expect, it } from 'vitest'
import { runBench } from '../../bench/harness'

// `npm run bench -- --quick` as a test: the harness must run end to end against the deploy bundle,
// every answer must have the expected status, and MySQL's own statement counts must meet the
// issue's budgets. Timings are never asserted.
describe('benchmark harness, quick', () => {
  it('runs every scenario and meets the statement budgets', async () => {
    const report = await runBench({ quick: true })
    const byName = new Map(report.scenarios.map((s) => [s.name, s]))
    for (const s of report.scenarios.filter((s) => s.available)) {
      expect(s.requests, s.name).toBeGreaterThan(0)
      expect(s.errors, s.name).toBe(0)
      expect(s.workerdCpuMs, s.name).toBeGreaterThan(0)
    }
    expect(byName.get('GET / (sign-in page)')!.statements).toBe(0)
    expect(byName.get('GET /signup')!.statements).toBe(0)
    expect(byName.get('GET /welcome signed in')!.statements).toBe(1)
    expect(byName.get('POST /logout')!.statements).toBe(1)
    expect(byName.get('POST /login cost 4')!.statements).toBeLessThanOrEqual(8)
    expect(byName.get('POST /login cost 10')!.statements).toBeLessThanOrEqual(8)
    expect(byName.get('GET /account signed in')!.statements).toBe(1)
    const statementBudgets = report.budgets.filter((b) => b.kind === 'statements')
    expect(statementBudgets.length).toBeGreaterThanOrEqual(6)
    expect(statementBudgets.filter((b) => !b.pass)).toEqual([])
    expect(report.bundle.app.gzip).toBeGreaterThan(report.bundle.reference.gzip)
    expect(report.pointSelect.workerdDriverP50Ms).toBeGreaterThan(0)
    expect(report.pointSelect.workerdFloorP50Ms).toBeGreaterThan(0)
    expect(report.bcrypt4Ms).toBeGreaterThan(0)
    // Every capability built without its line in src/features.ts (one list, no other file touched),
    // and the three with byte budgets each add something measurable.
    const added = new Map(report.bundle.features.map((f) => [f.name, f.addedGzip]))
    expect(added.size).toBeGreaterThanOrEqual(16)
    for (const name of ['twoFactor', 'passkeys', 'providers']) {
      expect(added.get(name), name).toBeGreaterThan(2048)
    }
    expect(report.budgets.filter((b) => b.name.includes(' adds <= '))).toHaveLength(3)
    // The floor the signed-in pages are read against really reads the database once.
    expect(byName.get('reference page + 1 query')!.statements).toBe(1)
  })
})
