import { join, resolve, dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { ensureDevVars } from './dev-vars'
import { createOutbox } from './outbox'
import { startStack, type Stack } from './stack'
import { startWorker } from './worker'

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const log = (line: string) => console.log(line)

/**
 * `npm run dev`: the local database (private MySQL and gateway, or DATABASE_URL / MYSQL_URL from the
 * environment), migrations, `.dev.vars`, then `wrangler dev` on PORT. Ctrl-C stops all of it.
 */
async function main() {
  const port = Number(process.env.PORT ?? 8787)
  const { created } = ensureDevVars(join(REPO_ROOT, '.dev.vars'))
  if (created) log('dev: wrote .dev.vars with a generated SESSION_SECRET')

  let stack: Stack | undefined
  let databaseUrl = process.env.DATABASE_URL
  if (databaseUrl) {
    log('dev: using DATABASE_URL from the environment (run `npm run db:migrate` for its schema)')
  } else {
    log(
      process.env.MYSQL_URL
        ? 'dev: using MYSQL_URL'
        : 'dev: starting the private MySQL in .data/mysql',
    )
    stack = await startStack({ log })
    databaseUrl = stack.databaseUrl
  }

  // --- mail outbox (wt-h): each message the simulated EMAIL binding writes is copied to
  // .data/outbox/ and announced in one line (recipient, subject, link) instead of wrangler's two.
  const outbox = createOutbox({ dir: join(REPO_ROOT, '.data', 'outbox'), print: log })
  const wranglerLog = (line: string) => void (outbox.handle(line) || log(line))
  // --- end mail outbox

  let worker: Awaited<ReturnType<typeof startWorker>>
  try {
    worker = await startWorker({ port, vars: { DATABASE_URL: databaseUrl }, log: wranglerLog })
  } catch (err) {
    await stack?.stop()
    throw err
  }
  log(`\nedge-auth is running at http://localhost:${port}  (Ctrl-C to stop)`)
  log(`mail: every message lands in .data/outbox/ as an .eml file\n`)

  let stopping = false
  const shutdown = async (code: number) => {
    if (stopping) return
    stopping = true
    await worker.stop()
    await stack?.stop()
    process.exit(code)
  }
  process.on('SIGINT', () => void shutdown(0))
  process.on('SIGTERM', () => void shutdown(0))
  const code = await worker.exited
  if (!stopping) {
    log(`dev: wrangler dev stopped (exit code ${code}); stopping the database`)
    await shutdown(code ?? 1)
  }
}

main().catch((err: unknown) => {
  console.error(`dev: ${err instanceof Error ? err.message : String(err)}`)
  process.exit(1)
})
