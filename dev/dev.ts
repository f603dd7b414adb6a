import { readFileSync } from 'node:fs'
import { chmod, mkdir } from 'node:fs/promises'
import { createServer } from 'node:net'
import { join, resolve, dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { ensureDevVars, readDevVars } from './dev-vars'
import { createOutbox } from './outbox'
import { EXAMPLE_PROTECTED_PATHS, exampleConfigArgs } from './example'
import { alive } from './ports'
import { DEV_OIDC_NAME, startDevOidc, type DevOidc } from './oidc-provider'
import { startStack, type Stack } from './stack'
import { startWorker, type RunningWorker } from './worker'

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..')
// https://no-color.org: any non-empty NO_COLOR turns colour off; so does output that is not a terminal.
const color = process.stdout.isTTY && !process.env.NO_COLOR
const paint = (code: string, text: string) => (color ? `\x1b[${code}m${text}\x1b[0m` : text)
const log = (line: string) => console.log(line)
const warn = (line: string) => console.error(paint('33', line))

/** Thrown for problems the runner explains in one line, without a stack trace. */
class Refusal extends Error {}

function parsePort(text: string | undefined): number {
  const port = Number(text ?? 8787)
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    throw new Refusal(`PORT=${text} is not a port number (1-65535)`)
  return port
}

/**
 * Resolves when `port` is free on 127.0.0.1 (what wrangler dev binds) and on ::1 (where a browser
 * may send `localhost` first), else refuses naming PORT: wrangler's own failure is a stack trace.
 */
async function ensurePortFree(port: number): Promise<void> {
  await probe(port, '127.0.0.1')
  await probe(port, '::1').catch((err: unknown) => {
    if (err instanceof Refusal) throw err
  })
}

function probe(port: number, host: string): Promise<void> {
  return new Promise((done, fail) => {
    const server = createServer()
    server.once('error', (err: NodeJS.ErrnoException) =>
      fail(
        err.code === 'EADDRINUSE'
          ? new Refusal(
              `port ${port} is already in use by another program: start with PORT=${port === 65535 ? 8787 : port + 1} npm run dev`,
            )
          : host === '::1'
            ? err // no IPv6 loopback here: nothing can take the port there either
            : new Refusal(`cannot listen on ${host}:${port}: ${err.code ?? err.message}`),
      ),
    )
    server.listen({ port, host, exclusive: true }, () => server.close(() => done()))
  })
}

function parentOf(pid: number): number {
  try {
    // /proc/PID/stat: "pid (comm) state ppid …"; comm may contain spaces, so split after the ')'.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
  } catch {
    return 0
  }
}

// `npm run dev` is npm -> sh -> tsx -> this process. `kill <npm pid>` ends npm (and sh) without
// telling tsx, which lives on, so watching only the direct parent would miss it: watch three.
function ancestors(depth: number): number[] {
  const found: number[] = []
  for (let pid = process.ppid; found.length < depth && pid > 1; pid = parentOf(pid)) found.push(pid)
  return found
}

/**
 * `npm run dev`: the local database (private MySQL and gateway, or DATABASE_URL / MYSQL_URL from the
 * environment), migrations, `.dev.vars`, then `wrangler dev` on PORT. SIGINT (Ctrl-C), SIGTERM and
 * SIGHUP stop all of it, and so does the end of the process that started this one. DEV_VARS names
 * another file than `.dev.vars` (the runner's own test uses a scratch file).
 */
async function main() {
  const withExample = process.argv.slice(2).includes('--with-example')
  const port = parsePort(process.env.PORT)
  await ensurePortFree(port)
  const devVarsPath = process.env.DEV_VARS
    ? resolve(process.env.DEV_VARS)
    : join(REPO_ROOT, '.dev.vars')
  const { created } = ensureDevVars(devVarsPath)
  if (created)
    log(`dev: wrote ${devVarsPath} with generated secrets (SESSION_SECRET, TOTP_ENCRYPTION_KEY)`)

  let stack: Stack | undefined
  let worker: RunningWorker | undefined
  let oidc: DevOidc | undefined
  let stopping: Promise<void> | undefined
  const shutdown = (code: number) =>
    (stopping ??= (async () => {
      await worker?.stop()
      await oidc?.stop()
      await stack?.stop()
      process.exit(code)
    })())
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const)
    process.on(signal, () => void shutdown(0))
  // npm, its shell or tsx ended without passing a signal on: end with them.
  const watched = ancestors(3)
  setInterval(() => {
    if (!watched.every(alive)) void shutdown(0)
  }, 500).unref()

  // .data holds the private database, its root password and the outbox's live links: the
  // developer's alone, whatever the umask.
  await mkdir(join(REPO_ROOT, '.data'), { recursive: true, mode: 0o700 })
  await chmod(join(REPO_ROOT, '.data'), 0o700)

  let databaseUrl = process.env.DATABASE_URL
  if (databaseUrl) {
    log('dev: using DATABASE_URL from the environment (run `npm run db:migrate` for its schema)')
  } else {
    log(
      process.env.MYSQL_URL
        ? 'dev: using MYSQL_URL'
        : 'dev: starting the private MySQL in .data/mysql',
    )
    stack = await startStack({
      log,
      onMysqlExit: (code) =>
        warn(
          `dev: the private MySQL server stopped unexpectedly (exit code ${code}); requests that need it fail until you restart npm run dev`,
        ),
    })
    databaseUrl = stack.databaseUrl
  }
  if (stopping) return

  // "Continue with Dev OIDC" works offline: a local OpenID provider (dev/oidc-provider.ts) is the
  // generic OIDC provider unless .dev.vars names one.
  const devVars = readDevVars(devVarsPath)
  const mountPrefix =
    process.env.MOUNT_PATH && process.env.MOUNT_PATH !== '/'
      ? process.env.MOUNT_PATH
      : devVars.MOUNT_PATH && devVars.MOUNT_PATH !== '/'
        ? devVars.MOUNT_PATH
        : ''
  if (!devVars.OIDC_ISSUER) {
    oidc = await startDevOidc({
      redirectUris: ['localhost', '127.0.0.1'].map(
        (host) => `http://${host}:${port}${mountPrefix}/login/provider/oidc/callback`,
      ),
    })
  }
  const oidcVars: Record<string, string> = oidc
    ? {
        OIDC_ISSUER: oidc.issuer,
        OIDC_CLIENT_ID: oidc.clientId,
        OIDC_CLIENT_SECRET: oidc.clientSecret,
        OIDC_NAME: DEV_OIDC_NAME,
      }
    : {}
  if (stopping) return

  // .dev.vars is passed on by hand: the worker gets it through a private file, never --var.
  const vars: Record<string, string> = {
    ...oidcVars,
    // Offline by default: the local stand-in answers the breached-password check.
    ...(stack ? { PWNED_PASSWORDS_URL: stack.pwnedPasswordsUrl } : {}),
    ...(withExample ? { PROTECTED_PATHS: EXAMPLE_PROTECTED_PATHS } : {}),
    ...devVars,
    // `MOUNT_PATH=/auth npm run dev` serves every page under /auth.
    ...(process.env.MOUNT_PATH ? { MOUNT_PATH: process.env.MOUNT_PATH } : {}),
    DATABASE_URL: databaseUrl,
  }
  const configArgs = withExample ? await exampleConfigArgs(REPO_ROOT) : undefined
  // Each message the simulated EMAIL binding writes is copied to .data/outbox/ and announced in one
  // line (recipient, subject, link) instead of wrangler's two.
  const outbox = createOutbox({ dir: join(REPO_ROOT, '.data', 'outbox'), print: log })
  const wranglerLog = (line: string) => void (outbox.handle(line) || log(line))
  worker = await startWorker({ port, vars, log: wranglerLog, configArgs }).catch(
    async (err: unknown) => {
      await oidc?.stop()
      await stack?.stop()
      throw err
    },
  )
  const mount = vars.MOUNT_PATH && vars.MOUNT_PATH !== '/' ? vars.MOUNT_PATH : ''
  log(
    `\n${paint('32', `edge-auth is running at http://localhost:${port}${mount}`)}  (Ctrl-C to stop)`,
  )
  if (withExample) {
    log(
      `example: the team's app (examples/hello-app) is behind it in front mode: ` +
        `http://localhost:${port}/app, protected: ${vars.PROTECTED_PATHS ?? EXAMPLE_PROTECTED_PATHS}`,
    )
  }
  if (oidc) {
    log(
      `oidc: a local OpenID provider at ${oidc.issuer} ("Continue with ${DEV_OIDC_NAME}", test people, no password)`,
    )
  }
  log(`mail: every message lands in .data/outbox/ as an .eml file\n`)

  const code = await worker.exited
  if (!stopping) {
    warn(`dev: wrangler dev stopped (exit code ${code}); stopping the database`)
    await shutdown(code ?? 1)
  }
}

main().catch((err: unknown) => {
  console.error(paint('31', `dev: ${err instanceof Error ? err.message : String(err)}`))
  process.exit(1)
})
