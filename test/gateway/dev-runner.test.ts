import { spawn, type ChildProcess } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { createServer, type Server } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { freePort } from '../../dev/ports'

const REPO = fileURLToPath(new URL('../..', import.meta.url))
const NPM = process.env.npm_execpath // set when run through npm; else `npm` on PATH

let scratch: string
beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'edge-auth-runner-'))
})
afterAll(() => rm(scratch, { recursive: true, force: true }))

/** `npm run dev` as a developer runs it, with a scratch .dev.vars and no private MySQL. */
function runDev(env: Record<string, string>): { child: ChildProcess; output: () => string } {
  const cmd = NPM ? process.execPath : 'npm'
  const args = NPM ? [NPM, 'run', 'dev'] : ['run', 'dev']
  const child = spawn(cmd, args, {
    cwd: REPO,
    env: { ...process.env, DEV_VARS: join(scratch, 'dev.vars'), NO_COLOR: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let text = ''
  child.stdout!.on('data', (b: Buffer) => (text += b.toString()))
  child.stderr!.on('data', (b: Buffer) => (text += b.toString()))
  return { child, output: () => text }
}

function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode)
  return new Promise((r) => child.once('exit', (code) => r(code)))
}

/** Command lines of every process on the machine that mention `needle`. */
function processesMentioning(needle: string): string[] {
  const found: string[] = []
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ')
      if (cmd.includes(needle)) found.push(`${pid} ${cmd}`)
    } catch {
      // gone meanwhile
    }
  }
  return found
}

async function until(check: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms
  while (!check()) {
    if (Date.now() > deadline) return false
    await new Promise((r) => setTimeout(r, 100))
  }
  return true
}

describe('npm run dev', () => {
  let taken: Server
  afterAll(() => new Promise<void>((r) => (taken ? taken.close(() => r()) : r())))

  it('names PORT=… in one line, without a stack trace, when the port is taken', async () => {
    const port = await freePort()
    taken = createServer().listen(port, '127.0.0.1')
    await new Promise((r) => taken.once('listening', r))
    const { child, output } = runDev({ PORT: String(port), DATABASE_URL: 'http://u:p@127.0.0.1:1' })
    expect(await exited(child)).toBe(1)
    const text = output()
    expect(text).toContain(`port ${port} is already in use by another program`)
    expect(text).toMatch(/PORT=\d+ npm run dev/)
    expect(text).not.toMatch(/^\s+at /m)
    expect(text).not.toMatch(/wrangler/i)
  }, 20_000)

  it('keeps secrets off command lines, and SIGTERM to npm stops wrangler and workerd', async () => {
    const port = await freePort()
    const secret = `runner-${Date.now()}-database-password`
    const { child, output } = runDev({
      PORT: String(port),
      DATABASE_URL: `http://u:${secret}@127.0.0.1:1`,
    })
    const running = await until(() => output().includes('edge-auth is running at'), 45_000)
    expect(running, output()).toBe(true)
    expect(processesMentioning(String(port)).length).toBeGreaterThan(0)
    expect(processesMentioning(secret)).toEqual([])
    const devVars = readFileSync(join(scratch, 'dev.vars'), 'utf8')
    const sessionSecret = /SESSION_SECRET=(\S+)/.exec(devVars)![1]!
    expect(processesMentioning(sessionSecret)).toEqual([])

    child.kill('SIGTERM')
    await exited(child)
    const gone = await until(() => processesMentioning(`127.0.0.1:${port}`).length === 0, 10_000)
    expect(gone, processesMentioning(`127.0.0.1:${port}`).join('\n')).toBe(true)
    expect(output()).not.toMatch(/^\s+at /m)
  }, 60_000)
})
