// The local PlanetScale stack for the benchmark: a private MySQL on a throw-away data dir, the
// migrations, and the gateway in a child process of its own so its CPU time can be read apart.
import { spawn, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises'
import { join } from 'node:path'
import mysql from 'mysql2/promise'
import { freePort } from '../dev/ports'
import { startStack } from '../dev/stack'
import { REPO_ROOT } from './bundle'

export interface BenchStack {
  /** The child gateway's URL with its credentials: the Workers' DATABASE_URL. */
  databaseUrl: string
  /** The local breached-password range API the stack serves. */
  pwnedPasswordsUrl: string
  gatewayPid: number
  mysqldPid: number
  /** A direct connection to the stack's database, for setup and for counting statements. */
  direct: mysql.Connection
  /** Statements the server has run so far, less this counter's own probes. */
  statements(): Promise<number>
  stop(): Promise<void>
}

const GATEWAY_USER = 'edge'

async function startGatewayProcess(
  mysqlUrl: string,
  password: string,
): Promise<{ child: ChildProcess; url: string }> {
  const port = await freePort()
  // node --import tsx, not `npm run gateway`: npm and tsx's own launcher would each add a process
  // in between, and the CPU read from /proc must be the gateway's alone. Secrets go through the
  // environment, never the command line (which every local user can read).
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(REPO_ROOT, 'dev/gateway/cli.ts'), '--port', String(port)],
    {
      cwd: REPO_ROOT,
      env: { ...process.env, MYSQL_URL: mysqlUrl, GATEWAY_PASSWORD: password },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  )
  let output = ''
  const listening = new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString()
      if (output.includes('gateway listening on')) resolve()
    }
    child.stdout!.on('data', onData)
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()))
    child.once('exit', (code) => reject(new Error(`gateway exited (${code}): ${output}`)))
  })
  const timeout = setTimeout(() => child.kill('SIGKILL'), 30_000)
  try {
    await listening
  } finally {
    clearTimeout(timeout)
  }
  return { child, url: `http://${GATEWAY_USER}:${password}@127.0.0.1:${port}` }
}

// The development server is sized to start fast and stay small (16 MiB buffer pool, 8 MiB redo
// log). Measured that way, every write paid for checkpoints and evictions a production server (a
// PlanetScale database, or any MySQL left at its defaults) does not make: a first-time login cost
// MySQL 15x a signed-in page against 10x at the server's own defaults. The bench measures what
// production would: MySQL's and MariaDB's default buffer pool and MariaDB's default redo log.
const PRODUCTION_SIZES = ['--innodb-buffer-pool-size=128M', '--innodb-log-file-size=96M']

/** Starts the stack on a fresh database under `.data/` (removed at `stop()`). */
export async function startBenchStack(): Promise<BenchStack> {
  const dataRoot = join(REPO_ROOT, '.data')
  await mkdir(dataRoot, { recursive: true })
  const dataDir = await mkdtemp(join(dataRoot, 'bench-'))
  const cleanups: Array<() => Promise<unknown>> = [
    () => rm(dataDir, { recursive: true, force: true }),
  ]
  const stopAll = async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined)
  }
  try {
    // The in-process gateway of startStack applies the migrations, then idles. One retry: a
    // first-time MariaDB initialisation can fail while other runs initialise theirs (seen as
    // "Unknown table 'mysql.tmp_proxies_priv'" with several engineers on one machine).
    const start = () =>
      startStack({ dataDir, database: 'edge_auth_bench', fresh: true, mysqlArgs: PRODUCTION_SIZES })
    const stack = await start().catch(async () => {
      await rm(dataDir, { recursive: true, force: true })
      await mkdir(dataDir)
      return start()
    })
    cleanups.push(stack.stop)
    const mysqldPid = Number((await readFile(join(dataDir, 'mysqld.pid'), 'utf8')).trim())
    const password = randomBytes(18).toString('base64url')
    const gateway = await startGatewayProcess(stack.mysqlUrl, password)
    cleanups.push(async () => {
      const exited = new Promise((r) => gateway.child.once('exit', r))
      if (gateway.child.exitCode === null) gateway.child.kill('SIGTERM')
      await exited
    })
    const direct = await mysql.createConnection(stack.mysqlUrl)
    cleanups.push(() => direct.end())

    // Statements are MySQL's own count ('Questions'), less the SETs the gateway runs on each new
    // pooled connection, less this probe itself (calibrated: what two back-to-back probes differ by).
    const read = async () => {
      const [rows] = await direct.query(
        "SHOW GLOBAL STATUS WHERE Variable_name IN ('Questions', 'Com_set_option')",
      )
      const status = new Map(
        (rows as Array<{ Variable_name: string; Value: string }>).map((r) => [
          r.Variable_name,
          Number(r.Value),
        ]),
      )
      // The activity line (features/activity) is written after the answer, off the request's
      // path: one INSERT per row, left out so the counts are each request's own, whenever the
      // write lands. The rows are counted after the status, and the harness reads only once the
      // count has settled, so no insert falls between the two.
      const [events] = await direct.query('SELECT COUNT(*) AS n FROM security_events')
      const activity = Number((events as Array<{ n: number | string }>)[0]!.n)
      return status.get('Questions')! - status.get('Com_set_option')! - activity
    }
    const first = await read()
    const probeCost = (await read()) - first
    let probes = 0
    const statements = async () => {
      probes += 1
      return (await read()) - probes * probeCost
    }
    return {
      databaseUrl: gateway.url,
      pwnedPasswordsUrl: stack.pwnedPasswordsUrl,
      gatewayPid: gateway.child.pid!,
      mysqldPid,
      direct,
      statements,
      stop: stopAll,
    }
  } catch (err) {
    await stopAll()
    throw err
  }
}
