// npm run bench [-- --quick] [-- --json out.json]: the production-runtime benchmark (bench/harness.ts)
// and, in a full run, the gateway's point-SELECT comparison in Node (bench/gateway.ts).
import { writeFile } from 'node:fs/promises'
import { parseArgs } from 'node:util'
import { benchGateway } from './gateway'
import { runBench } from './harness'
import { formatReport } from './report'

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    json: { type: 'string' },
    seconds: { type: 'string' },
    rounds: { type: 'string' },
    connections: { type: 'string' },
  },
})
const number = (text: string | undefined) => (text === undefined ? undefined : Number(text))

const started = performance.now()
try {
  const report = await runBench({
    quick: values.quick,
    seconds: number(values.seconds),
    rounds: number(values.rounds),
    connections: number(values.connections),
    log: (line) => console.error(`${((performance.now() - started) / 1000).toFixed(1)}s ${line}`),
  })
  console.log(formatReport(report).join('\n'))
  if (values.json) {
    await writeFile(values.json, `${JSON.stringify(report, null, 2)}\n`)
    console.log(`(figures written to ${values.json})`)
  }
  // Timing and size misses are reported, never fatal. A quick run (the test suite's smoke test)
  // fails only when the harness did not work or a statement budget was missed.
  const broken = [
    ...report.scenarios
      .filter((s) => s.available && (s.requests === 0 || s.errors > 0))
      .map((s) => `${s.name}: ${s.requests} answers, ${s.errors} errors`),
    ...report.budgets.filter((b) => b.kind === 'statements' && !b.pass).map((b) => b.name),
  ]
  if (!values.quick) {
    console.log('\ngateway in Node (driver with Node fetch and keep-alive http, mysql2 direct):')
    console.log((await benchGateway()).join('\n'))
  }
  if (values.quick && broken.length > 0) {
    console.error(`quick run failed:\n  ${broken.join('\n  ')}`)
    process.exitCode = 1
  }
  console.log(`(bench finished in ${((performance.now() - started) / 1000).toFixed(1)} s)`)
} catch (err) {
  console.error(err)
  process.exitCode = 1
}
