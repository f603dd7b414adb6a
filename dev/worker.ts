import { spawn } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { freePort } from './ports'

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const WRANGLER = join(REPO_ROOT, 'node_modules', 'wrangler', 'bin', 'wrangler.js')

export interface WorkerOptions {
  /** Port to serve on; 0 picks a free one. */
  port: number
  /**
   * Every binding the Worker gets besides wrangler.toml's [vars]. They reach wrangler through a
   * private 0600 env file, never the command line, and the repository's `.dev.vars` is NOT read:
   * callers that want it (the dev runner) merge it in themselves.
   */
  vars: Record<string, string>
  /** Where wrangler's own output goes; default: discarded. */
  log?: (line: string) => void
  /** How long to wait for the first answer. */
  readyTimeoutMs?: number
  /** `-c FILE` pairs for more than one Worker in one wrangler dev (the first is the primary). */
  configArgs?: string[]
}

export interface RunningWorker {
  url: string
  /** Resolves with wrangler's exit code when it stops, whoever stopped it. */
  exited: Promise<number | null>
  stop(): Promise<void>
}

// wrangler's dotenv loader expands `$NAME`; `\$` stays a literal dollar.
function envLine(key: string, value: string): string {
  if (!/^[A-Z0-9_]+$/i.test(key)) throw new Error(`invalid variable name ${JSON.stringify(key)}`)
  if (/['\r\n]/.test(value)) throw new Error(`${key}: quotes and newlines are not supported`)
  return `${key}='${value.replace(/\$/g, '\\$')}'`
}

/**
 * Writes `vars` to a fresh 0700 directory as a 0600 env file for `wrangler dev --env-file`, so no
 * secret (DATABASE_URL's password, SESSION_SECRET) appears in `ps` (ASVS 5.0 13.3.1). Returns the
 * file and a function that removes the directory.
 */
export async function writePrivateEnvFile(
  vars: Record<string, string>,
): Promise<{ file: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'edge-auth-vars-'))
  const file = join(dir, 'worker.env')
  const lines = Object.entries(vars).map(([key, value]) => envLine(key, value))
  await writeFile(file, `${lines.join('\n')}\n`, { mode: 0o600 })
  return { file, remove: () => rm(dir, { recursive: true, force: true }) }
}

// Runs wrangler in its own process group under a shell that holds the read end of a pipe from this
// process: when this process ends for any reason (even SIGKILL) the pipe closes and the whole group,
// wrangler and its workerd, gets SIGTERM. `stop()` closes the pipe too.
const SUPERVISOR = [
  'exec 3<&0',
  '"$@" </dev/null &',
  'child=$!',
  '(read -r _ <&3; kill -TERM -$$ 2>/dev/null) &',
  'watcher=$!',
  'wait "$child"',
  'status=$?',
  'kill "$watcher" 2>/dev/null',
  'exit "$status"',
].join('\n')

// What wrangler prints that says nothing to someone running the app offline on purpose; the stack
// trace lines right after such a line go with it.
const NOISE = [
  /Unable to fetch the Request\.cf object/i,
  /ENOTFOUND|EAI_AGAIN/,
  /workers\.cloudflare\.com/,
  /update available|npm i(nstall)? (-D )?wrangler/i,
  /^[\s─-╿]*$/,
]
const STACK_LINE = /^\s+at |^\s*\{$|^\s*\}$|^\s+\w+: /

/** A line filter for wrangler's output: false for offline noise and the stack traces under it. */
function wranglerNoiseFilter(): (line: string) => boolean {
  let inNoise = false
  return (line) => {
    if (NOISE.some((re) => re.test(line))) {
      inNoise = true
      return false
    }
    if (inNoise && STACK_LINE.test(line)) return false
    inNoise = false
    return true
  }
}

/**
 * Runs the Worker under `wrangler dev` (workerd) and resolves once it answers HTTP. Rejects if
 * wrangler exits first, which is what a Worker that throws at start-up makes it do. Offline-safe:
 * no metrics, no Request.cf download, no reads of `.dev.vars` or of this process's environment.
 */
export async function startWorker(opts: WorkerOptions): Promise<RunningWorker> {
  const port = opts.port || (await freePort())
  const inspectorPort = await freePort()
  const log = opts.log ?? (() => {})
  const envFile = await writePrivateEnvFile(opts.vars)
  const args = [WRANGLER, 'dev', '--ip', '127.0.0.1', '--port', String(port)]
  args.push('--inspector-port', String(inspectorPort), '--show-interactive-dev-session=false')
  // With --env-file wrangler skips .dev.vars entirely (wrangler 4.86 getVarsForDev).
  args.push('--env-file', envFile.file)
  args.push(...(opts.configArgs ?? []))
  const child = spawn(
    '/bin/sh',
    ['-c', SUPERVISOR, 'wrangler-supervisor', process.execPath, ...args],
    {
      cwd: REPO_ROOT,
      env: {
        ...process.env,
        WRANGLER_SEND_METRICS: 'false',
        WRANGLER_SEND_ERROR_REPORTS: 'false',
        CLOUDFLARE_CF_FETCH_ENABLED: 'false',
        // Only the env file, never this process's environment, becomes the Worker's bindings.
        CLOUDFLARE_INCLUDE_PROCESS_ENV: 'false',
        CLOUDFLARE_LOAD_DEV_VARS_FROM_DOT_ENV: 'true',
        NO_COLOR: '1',
        FORCE_COLOR: '0',
        CI: 'true',
      },
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: true,
    },
  )
  child.stdin.on('error', () => {}) // EPIPE once the shell is gone; its exit is handled below
  const keep = wranglerNoiseFilter()
  const forward = (chunk: Buffer) => {
    // wrangler colours some lines even under NO_COLOR: the runner decides about colour, not it.
    const text = chunk.toString().replace(/\x1b\[[0-9;]*m/g, '')
    for (const line of text.split('\n')) if (keep(line) && line.trim()) log(line)
  }
  child.stdout.on('data', forward)
  child.stderr.on('data', forward)
  const exited = new Promise<number | null>((done) =>
    child.once('exit', (code) => {
      void envFile.remove()
      done(code)
    }),
  )
  let exitedEarly = false
  void exited.then(() => (exitedEarly = true))

  const url = `http://127.0.0.1:${port}`
  const deadline = Date.now() + (opts.readyTimeoutMs ?? 60_000)
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.stdin.end()
      const timer = setTimeout(() => {
        try {
          process.kill(-child.pid!, 'SIGKILL')
        } catch {
          // already gone
        }
      }, 5000)
      await exited
      clearTimeout(timer)
    }
    await envFile.remove()
  }
  while (true) {
    if (exitedEarly) throw new Error(`wrangler dev exited with code ${await exited} before serving`)
    if (Date.now() > deadline) {
      await stop()
      throw new Error(`wrangler dev did not answer on ${url} in time`)
    }
    try {
      // The Worker's own static asset: only this app answers it with 200.
      const res = await fetch(`${url}/favicon.svg`, { signal: AbortSignal.timeout(2000) })
      await res.arrayBuffer()
      if (res.ok && !exitedEarly) return { url, exited, stop }
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200))
  }
}
