// GET /?n=N&batch=B runs N sequential point SELECTs through @planetscale/database and the gateway,
// with the fetch the app itself uses (workerd's), and answers the mean latency of each batch of B
// queries in milliseconds. workerd's clock advances only across I/O and in whole milliseconds, so
// single queries cannot be timed; batches of them can.
import { Client } from '@planetscale/database'

interface Env {
  DATABASE_URL: string
}

const ROWS = 1000

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const params = new URL(request.url).searchParams
    const n = Math.min(10_000, Number(params.get('n') ?? '100'))
    const batch = Math.max(1, Number(params.get('batch') ?? '1'))
    const client = new Client({ url: env.DATABASE_URL })
    const timings: number[] = []
    let started = performance.now()
    for (let i = 0; i < n; i++) {
      const id = (i % ROWS) + 1
      const { rows } = await client.execute('SELECT id, name, created_at FROM bench WHERE id = ?', [
        id,
      ])
      const row = rows[0] as { id?: unknown } | undefined
      if (rows.length !== 1 || String(row?.id) !== String(id)) {
        return new Response(`expected row ${id}`, { status: 500 })
      }
      if ((i + 1) % batch === 0) {
        timings.push((performance.now() - started) / batch)
        started = performance.now()
      }
    }
    return Response.json(timings)
  },
}
