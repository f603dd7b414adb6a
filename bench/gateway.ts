// Point-SELECT latency through driver -> gateway -> MySQL against mysql2 -> MySQL: npx tsx bench/gateway.ts
import { realpathSync } from 'node:fs'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { fileURLToPath } from 'node:url'
import { Client } from '@planetscale/database'
import mysql from 'mysql2/promise'
import { startStack } from '../dev/stack'

const WARMUP = 200
const ITERATIONS = 2000
const ROWS = 1000

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!
}

async function measure(
  run: (id: number) => Promise<unknown>,
): Promise<{ p50: number; p95: number }> {
  for (let i = 0; i < WARMUP; i++) await run((i % ROWS) + 1)
  const samples: number[] = []
  for (let i = 0; i < ITERATIONS; i++) {
    const started = performance.now()
    await run((i % ROWS) + 1)
    samples.push(performance.now() - started)
  }
  samples.sort((a, b) => a - b)
  return { p50: percentile(samples, 50), p95: percentile(samples, 95) }
}

// The cost of one fetch() round trip to a Node HTTP server that does nothing: the floor under any
// HTTP gateway, measured so the report shows what the gateway itself adds.
async function httpFloor(): Promise<{ p50: number; p95: number }> {
  const reply =
    '{"session":{"vitessSession":{"id":"x","inTransaction":false}},"result":{},"timing":0}'
  const server = createServer({ keepAlive: true }, (req, res) => {
    req.resume()
    req.on('end', () => {
      res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': reply.length })
      res.end(reply)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`
  try {
    return await measure(async () => {
      const res = await fetch(url, { method: 'POST', body: '{"query":"select 1","session":null}' })
      await res.text()
    })
  } finally {
    server.closeAllConnections()
    server.close()
  }
}

/**
 * Measures the p50/p95 of a point SELECT by primary key through `@planetscale/database` and the
 * gateway, and through mysql2 directly, in one run on its own private stack. Returns report lines.
 */
export async function benchGateway(): Promise<string[]> {
  const stack = await startStack({
    dataDir: '.data/bench',
    database: 'edge_auth_bench',
    fresh: true,
    migrate: false,
  })
  const direct = await mysql.createConnection(stack.mysqlUrl)
  try {
    await direct.query(
      'CREATE TABLE bench (id BIGINT UNSIGNED PRIMARY KEY, name VARCHAR(64) NOT NULL, created_at DATETIME NOT NULL)',
    )
    const values = Array.from({ length: ROWS }, (_, i) => [i + 1, `user-${i + 1}`, new Date()])
    await direct.query('INSERT INTO bench (id, name, created_at) VALUES ?', [values])

    const client = new Client({ url: stack.databaseUrl })
    const sql = 'SELECT id, name, created_at FROM bench WHERE id = ?'
    // Interleave the two so machine noise hits both alike: gateway, direct, gateway, direct.
    const gateway1 = await measure((id) => client.execute(sql, [id]))
    const direct1 = await measure((id) => direct.query(sql, [id]))
    const gateway2 = await measure((id) => client.execute(sql, [id]))
    const direct2 = await measure((id) => direct.query(sql, [id]))
    const floor = await httpFloor()
    const gateway = gateway1.p50 <= gateway2.p50 ? gateway1 : gateway2
    const mysqlDirect = direct1.p50 <= direct2.p50 ? direct1 : direct2
    const ms = (n: number) => `${n.toFixed(3)} ms`
    return [
      `point SELECT by primary key, ${ITERATIONS} sequential queries after ${WARMUP} warm-up (best of 2 rounds)`,
      `  driver -> gateway -> MySQL   p50 ${ms(gateway.p50)}   p95 ${ms(gateway.p95)}`,
      `  mysql2 -> MySQL (direct)     p50 ${ms(mysqlDirect.p50)}   p95 ${ms(mysqlDirect.p95)}`,
      `  fetch -> no-op Node HTTP      p50 ${ms(floor.p50)}   p95 ${ms(floor.p95)}   (HTTP floor)`,
      `  ratio (p50 gateway / direct) ${(gateway.p50 / mysqlDirect.p50).toFixed(2)}x   (target <= 2x)`,
      `  gateway overhead above HTTP floor + direct: ${ms(gateway.p50 - floor.p50 - mysqlDirect.p50)}`,
    ]
  } finally {
    await direct.end()
    await stack.stop()
  }
}

function isMain(): boolean {
  try {
    return realpathSync(process.argv[1] ?? '') === realpathSync(fileURLToPath(import.meta.url))
  } catch {
    return false
  }
}

if (isMain()) {
  benchGateway().then(
    (lines) => console.log(lines.join('\n')),
    (err: unknown) => {
      console.error(err)
      process.exit(1)
    },
  )
}
