// A point SELECT by primary key through @planetscale/database and the gateway, timed inside workerd
// with workerd's fetch (what the app uses), against mysql2 straight to MySQL from Node.
// workerd's clock has whole-millisecond resolution (a Spectre mitigation), so both sides are timed
// per batch of BATCH sequential queries and compared by the median of the batch means.
import type { Connection } from 'mysql2/promise'
import { percentile } from './load'

export interface PointSelectResult {
  queries: number
  batch: number
  mysql2P50Ms: number
  /** mysql2's p50 per single query (Node's clock can time one), for reference. */
  mysql2SingleP50Ms: number
  workerdDriverP50Ms: number
  /**
   * The driver in workerd against a Node HTTP server that answers at once and does nothing: the
   * floor under any gateway with this driver and this fetch.
   */
  workerdFloorP50Ms: number
  /** workerd driver + gateway p50 over mysql2 direct p50. */
  ratio: number
}

const ROWS = 1000
const BATCH = 50

async function fromWorker(url: string, n: number, via?: string): Promise<number[]> {
  const target = via ? `&via=${encodeURIComponent(via)}` : ''
  const res = await fetch(`${url}/?n=${n}&batch=${BATCH}${target}`)
  if (!res.ok) throw new Error(`point-select worker: ${res.status} ${await res.text()}`)
  return (await res.json()) as number[]
}

async function fromMysql2(direct: Connection, n: number, singles: number[]): Promise<number[]> {
  const timings: number[] = []
  let started = performance.now()
  for (let i = 0; i < n; i++) {
    const id = (i % ROWS) + 1
    const queryStarted = performance.now()
    const [rows] = await direct.query('SELECT id, name, created_at FROM bench WHERE id = ?', [id])
    singles.push(performance.now() - queryStarted)
    if (String((rows as Array<{ id: unknown }>)[0]?.id) !== String(id)) {
      throw new Error(`mysql2: expected row ${id}`)
    }
    if ((i + 1) % BATCH === 0) {
      timings.push((performance.now() - started) / BATCH)
      started = performance.now()
    }
  }
  return timings
}

/** Interleaved rounds of sequential point SELECTs on the `bench` table; p50 of each path. */
export async function measurePointSelect(
  direct: Connection,
  workerUrl: string,
  quick: boolean,
  noopUrl: string,
): Promise<PointSelectResult> {
  const rounds = quick ? 2 : 10
  const perRound = quick ? 60 : 300
  await fromWorker(workerUrl, 100)
  await fromWorker(workerUrl, 100, noopUrl)
  await fromMysql2(direct, 100, [])
  const worker: number[] = []
  const floor: number[] = []
  const mysql2: number[] = []
  const singles: number[] = []
  for (let round = 0; round < rounds; round++) {
    worker.push(...(await fromWorker(workerUrl, perRound)))
    floor.push(...(await fromWorker(workerUrl, perRound, noopUrl)))
    mysql2.push(...(await fromMysql2(direct, perRound, singles)))
  }
  const mysql2P50Ms = percentile(mysql2, 50)
  const workerdDriverP50Ms = percentile(worker, 50)
  return {
    queries: rounds * perRound,
    batch: BATCH,
    mysql2P50Ms,
    mysql2SingleP50Ms: percentile(singles, 50),
    workerdDriverP50Ms,
    workerdFloorP50Ms: percentile(floor, 50),
    ratio: workerdDriverP50Ms / mysql2P50Ms,
  }
}

/**
 * One bcryptjs compare at cost 4 in workerd, in ms: the median over rounds of (a request running
 * `n` compares, less a request running none) / n, timed from Node.
 */
export async function measureWorkerdBcrypt(workerUrl: string, quick: boolean): Promise<number> {
  const n = quick ? 10 : 100
  const timed = async (count: number) => {
    const started = performance.now()
    const res = await fetch(`${workerUrl}/bcrypt?n=${count}`)
    if (!res.ok) throw new Error(`bcrypt worker: ${res.status} ${await res.text()}`)
    await res.text()
    return performance.now() - started
  }
  await timed(n)
  const perCompare: number[] = []
  for (let round = 0; round < (quick ? 2 : 9); round++) {
    const empty = await timed(0)
    perCompare.push(((await timed(n)) - empty) / n)
  }
  return percentile(perCompare, 50)
}
