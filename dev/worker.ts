import { spawn } from 'node:child_process'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { freePort } from './ports'

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const WRANGLER = join(REPO_ROOT, 'node_modules', 'wrangler', 'bin', 'wrangler.js')

export interface WorkerOptions {
  /** Port to serve on; 0 picks a free one. */
  port: number
  /** Bindings passed with --var; they take precedence over .dev.vars. */
  vars: Record<string, string>
  /** Where wrangler's own output goes; default: discarded. */
  log?: (line: string) => void
  /** How long to wait for the first answer. */
  readyTimeoutMs?: number
}

export interface RunningWorker {
  url: string
  /** Resolves with wrangler's exit code when it stops, whoever stopped it. */
  exited: Promise<number | null>
  stop(): Promise<void>
}

/**
 * Runs the Worker under `wrangler dev` (workerd) and resolves once it answers HTTP. Rejects if
 * wrangler exits first, which is what a Worker that throws at start-up makes it do.
 */
export async function startWorker(opts: WorkerOptions): Promise<RunningWorker> {
  const port = opts.port || (await freePort())
  const inspectorPort = await freePort()
  const log = opts.log ?? (() => {})
  const args = [WRANGLER, 'dev', '--ip', '127.0.0.1', '--port', String(port)]
  args.push('--inspector-port', String(inspectorPort), '--show-interactive-dev-session=false')
  for (const [key, value] of Object.entries(opts.vars)) args.push('--var', `${key}:${value}`)
  const child = spawn(process.execPath, args, {
    cwd: REPO_ROOT,
    env: { ...process.env, WRANGLER_SEND_METRICS: 'false', NO_COLOR: '1', CI: 'true' },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const forward = (chunk: Buffer) => {
    for (const line of chunk.toString().split('\n')) if (line.trim()) log(line)
  }
  child.stdout.on('data', forward)
  child.stderr.on('data', forward)
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)))
  let exitedEarly = false
  void exited.then(() => (exitedEarly = true))

  const url = `http://127.0.0.1:${port}`
  const deadline = Date.now() + (opts.readyTimeoutMs ?? 60_000)
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM')
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000)
      await exited
      clearTimeout(timer)
    }
  }
  while (true) {
    if (exitedEarly) throw new Error(`wrangler dev exited with code ${await exited} before serving`)
    if (Date.now() > deadline) {
      await stop()
      throw new Error(`wrangler dev did not answer on ${url} in time`)
    }
    try {
      await fetch(`${url}/favicon.svg`, { signal: AbortSignal.timeout(2000) })
      return { url, exited, stop }
    } catch {
      await new Promise((r) => setTimeout(r, 200))
    }
  }
}
