import { execFile, spawn, type ChildProcess } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, readFileSync } from 'node:fs'
import {
  chmod,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  rename,
  rm,
  rmdir,
  stat,
  unlink,
} from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { delimiter, dirname, join, resolve } from 'node:path'
import { promisify } from 'node:util'
import mysql from 'mysql2/promise'
import { secureRoot, type RootLogin } from './mysql-root'
import { alive, freePort } from './ports'

const run = promisify(execFile)

export interface PrivateMysqlOptions {
  /** Data directory (created and initialised on first use). Socket, pid file and error log live in it. */
  dataDir: string
  log?: (line: string) => void
  /** Called when the server exits without `stop()` having been asked (a crash, a kill). */
  onUnexpectedExit?: (code: number | null) => void
  /** Server options after the small development defaults, which they override (the bench's sizes). */
  extraArgs?: string[]
}

export interface PrivateMysql {
  /** `mysql://127.0.0.1:PORT` (no user, no database): where the server listens. */
  url: string
  port: number
  /** Root over the Unix socket, with the generated password; root has no TCP account. */
  root: RootLogin
  /** Whether the server is running now. */
  readonly running: boolean
  /** Stops the server (graceful shutdown). Idempotent. */
  stop(): Promise<void>
  /**
   * Starts the server again on the same port and data dir after `stop()` (tests use this to take the
   * database away under a running gateway and bring it back). Resolves once it accepts connections.
   */
  start(): Promise<void>
}

interface ServerBinary {
  server: string
  flavor: 'mariadb' | 'mysql'
  installDb?: string
}

const SEARCH_DIRS = [
  '/usr/sbin',
  '/usr/local/sbin',
  '/usr/local/bin',
  '/opt/homebrew/bin',
  '/opt/homebrew/sbin',
  '/usr/local/mysql/bin',
]

const INSTALL_HINT =
  'No MariaDB or MySQL server binary (mariadbd or mysqld) was found on PATH or in ' +
  `${SEARCH_DIRS.join(', ')}.\n` +
  'Install one, e.g. `sudo apt-get install mariadb-server` (Debian/Ubuntu), ' +
  '`sudo dnf install mariadb-server` (Fedora) or `brew install mariadb` (macOS),\n' +
  'or point MYSQL_URL at an existing server: MYSQL_URL=mysql://user:pass@127.0.0.1:3306'

function findExecutable(names: string[]): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(delimiter).filter(Boolean), ...SEARCH_DIRS]
  for (const name of names) {
    for (const dir of dirs) {
      const candidate = join(dir, name)
      if (existsSync(candidate)) return candidate
    }
  }
  return undefined
}

/** Locates the MariaDB or MySQL server on this machine, or throws naming what to install. */
export async function findServerBinary(): Promise<ServerBinary> {
  const server = process.env.MYSQLD ?? findExecutable(['mariadbd', 'mysqld'])
  if (!server) throw new Error(INSTALL_HINT)
  const { stdout } = await run(server, ['--version'])
  if (/mariadb/i.test(stdout)) {
    const installDb = findExecutable(['mariadb-install-db', 'mysql_install_db'])
    if (!installDb)
      throw new Error(`${server} is MariaDB but mariadb-install-db is missing.\n${INSTALL_HINT}`)
    return { server, flavor: 'mariadb', installDb }
  }
  return { server, flavor: 'mysql' }
}

// Temporary tables of a server (and of install-db's bootstrap) go to a directory of its own: in a
// shared /tmp, parallel initialisations were seen failing on "Error on delete of '/tmp/#sql-temptable-…'".
function privateTmpDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'edge-auth-mysqld-tmp-'))
}

// Small footprint and fast start: a development database, not a durable one.
function commonArgs(flavor: ServerBinary['flavor'], tmp: string): string[] {
  const args = [
    `--tmpdir=${tmp}`,
    '--character-set-server=utf8mb4',
    '--collation-server=utf8mb4_unicode_ci',
    '--innodb-buffer-pool-size=16M',
    '--innodb-log-file-size=8M',
    '--innodb-flush-log-at-trx-commit=2',
    '--performance-schema=OFF',
    '--skip-name-resolve',
    '--max-connections=200',
    // ASVS 5.0 13.2.2 (least privilege) and 5.3.x (no file access through the database): LOAD DATA
    // LOCAL off, and server-side file reads/writes confined to an empty directory (see secureFileDir).
    '--local-infile=0',
  ]
  if (flavor === 'mysql') args.push('--mysqlx=OFF', '--skip-log-bin')
  // The server refuses to run as root unless told to.
  if (process.getuid?.() === 0) args.push('--user=root')
  return args
}

async function initialise(
  bin: ServerBinary,
  dataDir: string,
  log: (line: string) => void,
): Promise<void> {
  // Initialise beside the target and rename, so an interrupted first run never leaves a half-made dir.
  const staging = `${dataDir}.init-${process.pid}`
  await rm(staging, { recursive: true, force: true })
  const started = performance.now()
  const tmp = await privateTmpDir()
  try {
    if (bin.flavor === 'mariadb') {
      await run(bin.installDb!, [
        '--no-defaults',
        `--datadir=${staging}`,
        '--auth-root-authentication-method=normal',
        '--skip-test-db',
        ...commonArgs(bin.flavor, tmp),
      ])
    } else {
      await run(bin.server, [
        '--no-defaults',
        '--initialize-insecure',
        `--datadir=${staging}`,
        ...commonArgs(bin.flavor, tmp),
      ])
    }
    await rmdir(dataDir).catch(() => {}) // an empty placeholder (mkdtemp) may exist
    await rename(staging, dataDir)
  } catch (err) {
    await rm(staging, { recursive: true, force: true })
    throw new Error(`initialising ${dataDir} failed: ${(err as Error).message}`)
  } finally {
    await rm(tmp, { recursive: true, force: true })
  }
  log(`mysql: initialised ${dataDir} in ${Math.round(performance.now() - started)} ms`)
}

async function isInitialised(dataDir: string): Promise<boolean> {
  if (existsSync(join(dataDir, 'mysql'))) return true
  const entries = await readdir(dataDir).catch(() => null)
  if (entries && entries.length > 0) {
    throw new Error(`${dataDir} is neither empty nor a MySQL data directory; refusing to touch it`)
  }
  return false
}

function parentOf(pid: number): number | undefined {
  try {
    // /proc/PID/stat: "pid (comm) state ppid …"; comm may contain spaces, so split after the ')'.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
  } catch {
    return undefined
  }
}

function commandLine(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ')
  } catch {
    return undefined
  }
}

async function waitForExit(pid: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms
  while (alive(pid)) {
    if (Date.now() > deadline) return false
    await new Promise((r) => setTimeout(r, 50))
  }
  return true
}

/**
 * Clears what a previous run left: a stale pid file or socket is removed; a server still running on
 * this data dir is stopped if orphaned (its supervising shell is gone), else reported as in use.
 */
async function clearLeftovers(
  dataDir: string,
  pidFile: string,
  socket: string,
  log: (line: string) => void,
) {
  const pid = Number((await readFile(pidFile, 'utf8').catch(() => '')).trim())
  if (pid > 0 && alive(pid)) {
    const cmd = commandLine(pid)
    if (cmd === undefined || cmd.includes(dataDir)) {
      const parent = parentOf(pid)
      const supervisor = parent ? commandLine(parent) : undefined
      const orphaned = parent === 1 || (cmd !== undefined && !supervisor?.includes(dataDir))
      if (!orphaned) {
        throw new Error(
          `a server (pid ${pid}) is already running on ${dataDir}: stop the other dev/test run, or use another data dir`,
        )
      }
      log(`mysql: stopping orphaned server pid ${pid} on ${dataDir}`)
      process.kill(pid, 'SIGTERM')
      if (!(await waitForExit(pid, 30_000))) process.kill(pid, 'SIGKILL')
      await waitForExit(pid, 5_000)
    }
  }
  await unlink(pidFile).catch(() => {})
  await unlink(socket).catch(() => {})
}

/** An empty directory for --secure-file-priv: LOAD_FILE / INTO OUTFILE reach nothing else. */
function secureFileDir(dataDir: string): string {
  return join(dataDir, '.secure-files')
}

// Unix socket paths are limited to ~104 bytes; deep temp dirs fall back to a short path in /tmp.
// Exported for `npm run admin`, which reaches a running dev server's database through it.
export function socketPath(dataDir: string): string {
  const inside = join(dataDir, 'mysqld.sock')
  if (Buffer.byteLength(inside) < 100) return inside
  const hash = createHash('sha256').update(dataDir).digest('hex').slice(0, 16)
  return join(tmpdir(), `edge-auth-mysqld-${hash}.sock`)
}

// The server runs under a tiny shell that holds the read end of a pipe from this process. When this
// process exits for any reason, even SIGKILL, the pipe closes, `read` returns and the shell stops the
// server; the server also stops when `stop()` closes the pipe. `detached` keeps a terminal's Ctrl-C
// away from the server, so this process decides the shutdown order.
const SUPERVISOR = [
  'exec 3<&0',
  '"$@" </dev/null &',
  'server=$!',
  '(read -r _ <&3; kill -TERM "$server" 2>/dev/null) &',
  'watcher=$!',
  'wait "$server"',
  'status=$?',
  'kill "$watcher" 2>/dev/null',
  'exit "$status"',
].join('\n')

async function tail(file: string, lines = 15): Promise<string> {
  const text = await readFile(file, 'utf8').catch(() => '')
  return text.trim().split('\n').slice(-lines).join('\n')
}

// Ready once the server answers a login on TCP, whatever the answer: root has no TCP account.
async function waitUntilReady(
  where: { port: number } | { socketPath: string },
  child: ChildProcess,
  errorLog: string,
): Promise<void> {
  const deadline = Date.now() + 60_000
  let exited = child.exitCode !== null
  child.once('exit', () => (exited = true))
  for (;;) {
    if (exited) throw new Error(`the MySQL server exited during start-up:\n${await tail(errorLog)}`)
    try {
      const address = 'port' in where ? { host: '127.0.0.1', port: where.port } : where
      const conn = await mysql.createConnection({ ...address, user: 'root', connectTimeout: 1000 })
      await conn.end()
      return
    } catch (err) {
      // 1045: no such account / wrong password; 1130: no account at all for 127.0.0.1.
      const errno = (err as { errno?: number }).errno
      if (errno === 1045 || errno === 1130) return
      if (Date.now() > deadline)
        throw new Error(`the MySQL server did not start within 60 s:\n${await tail(errorLog)}`)
      await new Promise((r) => setTimeout(r, 25))
    }
  }
}

/**
 * Starts a private MariaDB/MySQL server on a free 127.0.0.1 port with its data in `dataDir`
 * (initialised on first use), stopped by `stop()` or when this process ends. Reads no option files
 * and never touches another server on the machine. Root gets a generated password and loses its TCP
 * accounts (see mysql-root.ts); the data dir is 0700.
 */
export async function startPrivateMysql(opts: PrivateMysqlOptions): Promise<PrivateMysql> {
  const log = opts.log ?? (() => {})
  const dataDir = resolve(opts.dataDir)
  const bin = await findServerBinary()
  await mkdir(dirname(dataDir), { recursive: true })
  const fresh = !(await isInitialised(dataDir))
  if (fresh) await initialise(bin, dataDir, log)
  if (!(await stat(dataDir)).isDirectory()) throw new Error(`${dataDir} is not a directory`)
  // Older runs left the data dir (and with it the root password file and socket) readable by all.
  await chmod(dataDir, 0o700)
  const files = secureFileDir(dataDir)
  await mkdir(files, { recursive: true, mode: 0o700 })

  const pidFile = join(dataDir, 'mysqld.pid')
  const socket = socketPath(dataDir)
  const errorLog = join(dataDir, 'mysqld.err')
  await clearLeftovers(dataDir, pidFile, socket, log)

  const tmp = await privateTmpDir()
  const serverArgs = (port: number, networking = true) => [
    '-c',
    SUPERVISOR,
    'mysqld-supervisor',
    bin.server,
    '--no-defaults',
    `--datadir=${dataDir}`,
    `--socket=${socket}`,
    `--pid-file=${pidFile}`,
    `--log-error=${errorLog}`,
    ...(networking
      ? [`--port=${port}`, '--bind-address=127.0.0.1', '--skip-networking=0']
      : ['--skip-networking']),
    `--secure-file-priv=${files}`,
    ...commonArgs(bin.flavor, tmp),
    ...(opts.extraArgs ?? []),
  ]

  let child: ChildProcess | undefined
  let stopping: Promise<void> | undefined

  async function launch(port: number, networking = true): Promise<void> {
    const started = performance.now()
    const proc = spawn('/bin/sh', serverArgs(port, networking), {
      stdio: ['pipe', 'ignore', 'ignore'],
      detached: true,
    })
    proc.stdin!.on('error', () => {}) // EPIPE if the shell died first; its exit is handled below
    try {
      await waitUntilReady(networking ? { port } : { socketPath: socket }, proc, errorLog)
    } catch (err) {
      proc.stdin!.end()
      throw err
    }
    child = proc
    stopping = undefined
    proc.once('exit', (code) => {
      if (child === proc) child = undefined
      if (!stopping) opts.onUnexpectedExit?.(code)
    })
    const where = networking ? `127.0.0.1:${port}` : 'its socket alone'
    const ms = Math.round(performance.now() - started)
    log(`mysql: ${bin.flavor} on ${where} (${dataDir}) ready in ${ms} ms`)
  }

  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      const proc = child
      if (!proc || proc.exitCode !== null || proc.signalCode !== null)
        return rm(tmp, { recursive: true, force: true })
      const exit = new Promise<void>((r) => proc.once('exit', () => r()))
      proc.stdin!.end()
      const timeout = setTimeout(() => {
        try {
          const pid = Number(readFileSync(pidFile, 'utf8').trim())
          if (pid > 0) process.kill(pid, 'SIGKILL')
        } catch {
          proc.kill('SIGKILL')
        }
      }, 30_000)
      await exit
      clearTimeout(timeout)
      await rm(tmp, { recursive: true, force: true })
      log(port ? `mysql: stopped 127.0.0.1:${port}` : 'mysql: stopped the socket-only first start')
    })())

  const start = async (): Promise<void> => {
    if (child) return
    await stopping
    await clearLeftovers(dataDir, pidFile, socket, log)
    await mkdir(tmp, { recursive: true, mode: 0o700 })
    await launch(port)
  }

  // A new data dir has a passwordless root (and, for MariaDB, root accounts for 127.0.0.1 and ::1):
  // its first start listens on the socket alone (in the 0700 data dir) until root is secured, so no
  // other local user can reach it over TCP meanwhile (ASVS 13.2.3).
  let port = 0
  if (fresh) {
    try {
      await launch(0, false)
      await secureRoot(dataDir, socket, log)
    } finally {
      await stop()
      stopping = undefined
      await mkdir(tmp, { recursive: true, mode: 0o700 })
    }
  }

  for (let attempt = 1; ; attempt++) {
    port = await freePort()
    try {
      await launch(port)
      break
    } catch (err) {
      const portTaken = /address already in use|bind on tcp\/ip port/i.test((err as Error).message)
      if (portTaken && attempt < 3) continue
      await rm(tmp, { recursive: true, force: true })
      throw err
    }
  }

  let root: RootLogin
  try {
    root = await secureRoot(dataDir, socket, log)
  } catch (err) {
    await stop()
    throw err
  }
  return {
    url: `mysql://127.0.0.1:${port}`,
    port,
    root,
    get running() {
      return child !== undefined
    },
    stop,
    start,
  }
}
