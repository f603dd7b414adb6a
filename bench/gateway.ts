// Point-SELECT latency through driver -> gateway -> MySQL against mysql2 -> MySQL: npx tsx bench/gateway.ts
import { realpathSync } from 'node:fs'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { fileURLToPath } from 'node:url'
import { Client } from '@planetscale/database'
import mysql from 'mysql2/promise'
import { startStack } from '../dev/stack'
import { agentFetch } from './http-fetch'

const WARMUP = 200
const ROUNDS = 20
const ITERATIONS = 250
const ROWS = 1000

type Run = (i: number) => Promise<unknown>

interface Row {
  label: string
  run: Run
  samples: number[]
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!
}

async function warmUp(row: Row): Promise<void> {
  for (let i = 0; i < WARMUP; i++) await row.run(i)
}

async function sample(row: Row, round: number): Promise<void> {
  for (let i = round * ITERATIONS; i < (round + 1) * ITERATIONS; i++) {
    const started = performance.now()
    await row.run(i)
    row.samples.push(performance.now() - started)
  }
}

// A Node HTTP server that answers every request with a fixed Execute-shaped reply and does nothing
// else: the floor under any HTTP gateway for a given client transport.
export async function noopServer(): Promise<{ url: string; close(): void }> {
  const reply =
    '{"session":{"vitessSession":{"id":"x","inTransaction":false}},"result":{},"timing":0}'
  const server = createServer({ keepAlive: true }, (req, res) => {
    req.resume()
    req.on('end', () => {
      res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': reply.length })
      res.end(reply)
    })
  })
  server.keepAliveTimeout = 65_000
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/psdb.v1alpha1.Database/Execute`,
    close: () => {
      server.closeAllConnections()
      server.close()
    },
  }
}

/**
 * Measures a point SELECT by primary key through `@planetscale/database` and the gateway (with
 * Node's default fetch, and with a keep-alive node:http fetch), through mysql2 directly, and the bare
 * HTTP round trip of both transports, on one private stack, in interleaved rounds. Returns report lines.
 */
export async function benchGateway(): Promise<string[]> {
  const stack = await startStack({
    dataDir: '.data/bench',
    database: 'edge_auth_bench',
    fresh: true,
    migrate: false,
  })
  const direct = await mysql.createConnection(stack.mysqlUrl)
  const noop = await noopServer()
  const httpFetch = agentFetch()
  try {
    await direct.query(
      'CREATE TABLE bench (id BIGINT UNSIGNED PRIMARY KEY, name VARCHAR(64) NOT NULL, created_at DATETIME NOT NULL)',
    )
    const values = Array.from({ length: ROWS }, (_, i) => [i + 1, `user-${i + 1}`, new Date()])
    await direct.query('INSERT INTO bench (id, name, created_at) VALUES ?', [values])

    const sql = 'SELECT id, name, created_at FROM bench WHERE id = ?'
    const id = (i: number) => (i % ROWS) + 1
    const undiciClient = new Client({ url: stack.databaseUrl })
    const httpClient = new Client({ url: stack.databaseUrl, fetch: httpFetch })
    const floorBody = JSON.stringify({ query: 'SELECT 1', session: null })
    const floorInit = {
      method: 'POST',
      body: floorBody,
      headers: { 'Content-Type': 'application/json' },
    }
    // Every query must return the row asked for: anything else means the bench measured something else.
    const checked = (rows: unknown, i: number) => {
      const row =
        Array.isArray(rows) && rows.length === 1 ? (rows[0] as { id?: unknown }) : undefined
      if (String(row?.id) !== String(id(i)))
        throw new Error(`expected row ${id(i)}, got ${JSON.stringify(rows)}`)
    }
    const rows: Row[] = [
      {
        label: 'mysql2 -> MySQL (direct)',
        run: async (i) => checked((await direct.query(sql, [id(i)]))[0], i),
        samples: [],
      },
      {
        label: 'driver + fetch (undici) -> gateway',
        run: async (i) => checked((await undiciClient.execute(sql, [id(i)])).rows, i),
        samples: [],
      },
      {
        label: 'driver + keep-alive http -> gateway',
        run: async (i) => checked((await httpClient.execute(sql, [id(i)])).rows, i),
        samples: [],
      },
      {
        label: 'fetch (undici) -> no-op HTTP',
        run: async () => (await fetch(noop.url, floorInit)).text(),
        samples: [],
      },
      {
        label: 'keep-alive http -> no-op HTTP',
        run: async () => (await httpFetch(noop.url, floorInit)).text(),
        samples: [],
      },
    ]
    // Warm-up, then short interleaved rounds in rotating order, so drifting machine load (and the
    // scheduler's placement of this thread and MySQL's) hits every row alike.
    for (const row of rows) await warmUp(row)
    for (let round = 0; round < ROUNDS; round++) {
      for (let k = 0; k < rows.length; k++) await sample(rows[(round + k) % rows.length]!, round)
    }

    const stats = rows.map((row) => {
      const sorted = [...row.samples].sort((a, b) => a - b)
      return { label: row.label, p50: percentile(sorted, 50), p95: percentile(sorted, 95) }
    })
    const [mysqlDirect, viaUndici, viaHttp, floorUndici, floorHttp] = stats as [
      (typeof stats)[number],
      (typeof stats)[number],
      (typeof stats)[number],
      (typeof stats)[number],
      (typeof stats)[number],
    ]
    const ms = (n: number) => `${n.toFixed(3)} ms`
    const ratio = (n: number) => `${(n / mysqlDirect.p50).toFixed(2)}x`
    const line = (s: (typeof stats)[number], note: string) =>
      `  ${s.label.padEnd(36)} p50 ${ms(s.p50)}   p95 ${ms(s.p95)}   ${ratio(s.p50).padStart(6)} direct${note}`
    const verdict = viaHttp.p50 <= 2 * mysqlDirect.p50 ? 'MET' : 'NOT met'
    const undiciVerdict = viaUndici.p50 <= 2 * mysqlDirect.p50 ? 'met' : 'not met'
    return [
      `point SELECT by primary key (${ROWS}-row table), ${WARMUP} warm-up queries per row, then ${ROUNDS} interleaved`,
      `rounds x ${ITERATIONS} sequential queries per row; p50/p95 over all ${ROUNDS * ITERATIONS} samples of a row; one run`,
      line(mysqlDirect, ''),
      line(viaUndici, ''),
      line(viaHttp, '   <- compared with the 2x target'),
      line(floorUndici, '   (HTTP floor, no gateway)'),
      line(floorHttp, '   (HTTP floor, no gateway)'),
      `  2x target (p50 driver -> gateway -> MySQL <= 2 x p50 direct): ${verdict} by the keep-alive http`,
      `  row (${ratio(viaHttp.p50)}); with Node's default fetch (undici) ${undiciVerdict} (${ratio(viaUndici.p50)}).`,
      `  The keep-alive http row is the one compared because it differs from the undici row only in the`,
      `  Node client's HTTP transport: same driver, gateway, MySQL and query. undici's round trip to a`,
      `  server that does nothing is ${ms(floorUndici.p50)}; with the direct query added that is already`,
      `  ${ratio(floorUndici.p50 + mysqlDirect.p50)} direct before the gateway does any work. (Deployed, the driver uses workerd's fetch.)`,
      `  gateway's own cost, p50 estimate (http row - http floor - direct): ${ms(viaHttp.p50 - floorHttp.p50 - mysqlDirect.p50)}`,
    ]
  } finally {
    httpFetch.close()
    noop.close()
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
