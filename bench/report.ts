import { isOwnCode } from './bundle'
import type { BenchReport } from './harness'

function cell(n: number, digits: number): string {
  return Number.isFinite(n) ? n.toFixed(digits) : 'n/a'
}

// Single-digit rates (bcrypt at cost 10) keep a decimal, or they would read as 0.
function rate(n: number): string {
  return cell(n, Math.abs(n) < 10 ? 1 : 0)
}

function table(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)))
  const line = (r: string[]) => `| ${r.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`
  return [
    line(rows[0]!),
    `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`,
    ...rows.slice(1).map(line),
  ]
}

/** The report as a Markdown table plus budget lines, as printed and pasted into the README. */
export function formatReport(report: BenchReport): string[] {
  const { settings, machine, bundle } = report
  const rows = [
    [
      'scenario',
      'req/s (min-max)',
      'p50 ms',
      'p99 ms',
      'errors',
      'x ref',
      'workerd CPU ms/req',
      'gateway CPU ms/req',
      'MySQL CPU ms/req',
      'statements/req',
    ],
  ]
  for (const s of report.scenarios) {
    if (!s.available) {
      rows.push([s.name, 'n/a', 'n/a', 'n/a', 'n/a', 'n/a', 'n/a', 'n/a', 'n/a', 'n/a'])
      continue
    }
    rows.push([
      s.name + (s.notes.length ? ` (${s.notes.join('; ')})` : ''),
      `${rate(s.rps)} (${rate(s.rpsMin)}-${rate(s.rpsMax)})`,
      cell(s.p50Ms, 2),
      cell(s.p99Ms, 2),
      String(s.errors),
      cell(s.refRatio, 2),
      cell(s.workerdCpuMs, 3),
      cell(s.gatewayCpuMs, 3),
      cell(s.mysqlCpuMs, 3),
      s.statements === null ? 'n/a' : cell(s.statements, 2),
    ])
  }
  const ps = report.pointSelect
  const kib = (n: number) => `${(n / 1024).toFixed(1)} KiB`
  const share = (p: { name: string; rawBytes: number }) =>
    `${p.name} ${kib(p.rawBytes)} (${((100 * p.rawBytes) / bundle.app.raw).toFixed(0)}%)`
  // The app's own code in full (`app`, `core` and every feature, however small); the npm packages
  // cut to the largest.
  const own = bundle.app.shares.filter((p) => isOwnCode(p.name))
  const ownTotal = { name: "the app's own code", rawBytes: own.reduce((n, p) => n + p.rawBytes, 0) }
  const packages = bundle.app.shares.filter((p) => !isOwnCode(p.name))
  return [
    `${report.date}, ${machine.cpus} vCPU (${machine.cpuModel}), Node ${machine.node}; ` +
      `${settings.rounds} interleaved round(s) x ${settings.seconds} s x ${settings.connections} connections per scenario`,
    `transport: ${settings.transport}`,
    '',
    ...table(rows),
    '',
    `Worker bundle: ${kib(bundle.app.raw)} raw, ${kib(bundle.app.gzip)} gzipped ` +
      `(reference: ${kib(bundle.reference.raw)}, ${kib(bundle.reference.gzip)} gzipped)`,
    `  minified bytes, ${share(ownTotal)}: ${own.map(share).join(', ')}`,
    `  minified bytes by package: ${packages.slice(0, 8).map(share).join(', ')}`,
    `  gzipped bytes each capability adds (the build without its line in src/features.ts): ${[
      ...bundle.features,
    ]
      .sort((a, b) => b.addedGzip - a.addedGzip)
      .map((f) => `${f.name} ${kib(f.addedGzip)}`)
      .join(', ')}`,
    `point SELECT p50 over ${ps.queries} queries: mysql2 direct ${ps.mysql2P50Ms.toFixed(3)} ms, ` +
      `driver + gateway in workerd ${ps.workerdDriverP50Ms.toFixed(3)} ms (${ps.ratio.toFixed(2)}x), ` +
      `driver against a do-nothing server ${ps.workerdFloorP50Ms.toFixed(3)} ms; ` +
      `medians of ${ps.batch}-query batch means (mysql2's single-query p50: ${ps.mysql2SingleP50Ms.toFixed(3)} ms)`,
    `POST /login at cost 4, one at a time: p50 ${report.login4SequentialP50Ms.toFixed(2)} ms; ` +
      `bcryptjs compare at cost 4 in workerd ${report.bcrypt4Ms.toFixed(2)} ms ` +
      `(in Node ${report.bcrypt4NodeMs.toFixed(2)} ms)`,
    '',
    'budgets:',
    ...report.budgets.map(
      (b) => `  ${b.kind === 'info' ? 'INFO' : b.pass ? 'PASS' : 'MISS'}  ${b.name}: ${b.detail}`,
    ),
  ]
}
