// GET /?n=N&batch=B runs N sequential point SELECTs through @planetscale/database and the gateway,
// with the fetch the app itself uses (workerd's), and answers the mean latency of each batch of B
// queries in milliseconds. workerd's clock advances only across I/O and in whole milliseconds, so
// single queries cannot be timed; batches of them can.
//
// GET /bcrypt?n=N runs N bcryptjs compares at cost 4 (the app's library, in the app's runtime) and
// answers once done: timed from outside, less an n=0 request, it is what a cost-4 login spends
// hashing here. Node's V8 runs the same code at a different speed, so Node cannot stand in for it.
import { Client } from '@planetscale/database'
import bcrypt from 'bcryptjs'

interface Env {
  DATABASE_URL: string
}

const ROWS = 1000
const BCRYPT_PASSWORD = 'plum orbit canyon lantern 42'
let bcryptHash: string | undefined

function compareMany(n: number): Response {
  bcryptHash ??= bcrypt.hashSync(BCRYPT_PASSWORD, 4)
  for (let i = 0; i < n; i++) {
    if (!bcrypt.compareSync(BCRYPT_PASSWORD, bcryptHash))
      return new Response('no match', { status: 500 })
  }
  return new Response('ok')
}

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const url = new URL(request.url)
    const params = url.searchParams
    if (url.pathname === '/bcrypt')
      return compareMany(Math.min(1000, Number(params.get('n') ?? '1')))
    const n = Math.min(10_000, Number(params.get('n') ?? '100'))
    const batch = Math.max(1, Number(params.get('batch') ?? '1'))
    // ?via=URL: the same driver calls against another loopback server (the bench's do-nothing one).
    const client = new Client({ url: params.get('via') ?? env.DATABASE_URL })
    const checkRows = !params.has('via')
    const timings: number[] = []
    let started = performance.now()
    for (let i = 0; i < n; i++) {
      const id = (i % ROWS) + 1
      const { rows } = await client.execute('SELECT id, name, created_at FROM bench WHERE id = ?', [
        id,
      ])
      const row = rows[0] as { id?: unknown } | undefined
      if (checkRows && (rows.length !== 1 || String(row?.id) !== String(id))) {
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
