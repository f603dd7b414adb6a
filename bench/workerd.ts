// Serves bundled Workers from the workerd binary directly (no wrangler dev, no miniflare proxy), from
// a generated config: what the Workers runtime runs in production, minus Cloudflare's front line.
import { spawn } from 'node:child_process'
import { chmod, copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { freePort } from '../dev/ports'
import type { Bundle } from './bundle'

export interface TlsKeypair {
  privateKey: string
  certificate: string
}

export interface WorkerService {
  /** Service and socket name: letters, digits and dashes. */
  name: string
  bundle: Bundle
  compatibilityDate: string
  compatibilityFlags?: string[]
  /** Text bindings (vars and secrets alike, as Workers passes them). */
  vars: Record<string, string>
  /** `send_email` binding names: given a stand-in that accepts and drops every message. */
  sendEmail?: string[]
  /**
   * Trust `X-Forwarded-Proto` for the request URL's scheme, as behind Cloudflare's TLS-terminating
   * front line: the Worker then sees https URLs over plain loopback http.
   */
  forwardedProto?: boolean
  /** Serve https with this keypair instead of http. */
  tls?: TlsKeypair
  /** Service bindings to other services of the same workerd, optionally to a named entrypoint. */
  services?: Array<{ binding: string; service: string; entrypoint?: string }>
}

export interface RunningWorkerd {
  pid: number
  /** Base URL per service name, e.g. `http://127.0.0.1:PORT`. */
  urls: Record<string, string>
  /** Recent stderr lines (workerd's own errors and uncaught Worker exceptions). */
  logTail(): string
  stop(): Promise<void>
}

// Accepts both forms of send(): a builder object gets a message id, a raw EmailMessage nothing.
// workerd's built-in `cloudflare:email` (the app's EmailMessage) reads its class from an internal
// module the host provides; on Cloudflare that is the platform, here a plain holder of the message.
const EMAIL_MESSAGE_MODULE = `class EmailMessage {
  constructor(from, to, raw) { this.from = from; this.to = to; this.raw = raw }
}
export default { EmailMessage }`

const EMAIL_STAND_IN = `export default function () {
  let count = 0
  return { async send() { count += 1; return { messageId: 'bench-' + count } } }
}`

function workerdBinary(): string {
  return createRequire(import.meta.url)('workerd').default as string
}

// Cap'n Proto text strings take C-style escapes; JSON's are the same for the ASCII we write.
function str(value: string): string {
  if (/[^\x20-\x7e\n]/.test(value)) throw new Error('workerd config strings must be ASCII')
  return JSON.stringify(value)
}

// embed paths are relative to the config file, which is why startWorkerd copies every module beside it.
function moduleEntry(service: string, m: Bundle['modules'][number]): string {
  return `(name = ${str(m.name)}, ${m.kind} = embed ${str(`${service}/${m.name}`)})`
}

function serviceEntry(s: WorkerService): string {
  const bindings = Object.entries(s.vars).map(([k, v]) => `(name = ${str(k)}, text = ${str(v)})`)
  for (const name of s.sendEmail ?? []) {
    bindings.push(`(name = ${str(name)}, wrapped = (moduleName = "bench-internal:email"))`)
  }
  for (const b of s.services ?? []) {
    const entrypoint = b.entrypoint ? `, entrypoint = ${str(b.entrypoint)}` : ''
    bindings.push(`(name = ${str(b.binding)}, service = (name = ${str(b.service)}${entrypoint}))`)
  }
  const flags = (s.compatibilityFlags ?? []).map(str).join(', ')
  return `(name = ${str(s.name)}, worker = (
    modules = [${s.bundle.modules.map((m) => moduleEntry(s.name, m)).join(', ')}],
    compatibilityDate = ${str(s.compatibilityDate)},
    compatibilityFlags = [${flags}],
    bindings = [${bindings.join(', ')}],
    globalOutbound = "loopback",
  ))`
}

function socketEntry(s: WorkerService, port: number): string {
  const address = `address = ${str(`127.0.0.1:${port}`)}, service = ${str(s.name)}`
  if (s.tls) {
    const keypair = `privateKey = ${str(s.tls.privateKey)}, certificateChain = ${str(s.tls.certificate)}`
    return `(name = ${str(s.name)}, ${address}, https = (tlsOptions = (keypair = (${keypair}))))`
  }
  const http = s.forwardedProto
    ? 'http = (forwardedProtoHeader = "X-Forwarded-Proto")'
    : 'http = ()'
  return `(name = ${str(s.name)}, ${address}, ${http})`
}

/** The capnp text config serving `services`, each on its own loopback port. */
export function workerdConfig(services: WorkerService[], ports: number[]): string {
  return `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [
    ${services.map(serviceEntry).join(',\n    ')},
    # Outbound fetches may reach this machine only (the gateway, local stand-ins): a benchmark or
    # test must never touch an outside service.
    (name = "loopback", network = (allow = ["local"])),
  ],
  sockets = [
    ${services.map((s, i) => socketEntry(s, ports[i]!)).join(',\n    ')},
  ],
  extensions = [(modules = [
    (name = "bench-internal:email", internal = true, esModule = ${str(EMAIL_STAND_IN)}),
    (name = "cloudflare-internal:email", internal = true, esModule = ${str(EMAIL_MESSAGE_MODULE)}),
  ])],
);
`
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1')
    socket.once('connect', () => {
      socket.destroy()
      resolve(true)
    })
    socket.once('error', () => resolve(false))
  })
}

/**
 * Starts one workerd process serving every service, and resolves once all sockets accept
 * connections. The config (it holds secrets) lives in a private temp dir removed at `stop()`.
 */
export async function startWorkerd(
  services: WorkerService[],
  opts: { inspectorPort?: number } = {},
): Promise<RunningWorkerd> {
  const ports: number[] = []
  for (const _ of services) ports.push(await freePort())
  const dir = await mkdtemp(join(tmpdir(), 'edge-auth-workerd-'))
  await chmod(dir, 0o700)
  for (const s of services) {
    await mkdir(join(dir, s.name))
    for (const m of s.bundle.modules) await copyFile(m.path, join(dir, s.name, m.name))
  }
  const configPath = join(dir, 'config.capnp')
  await writeFile(configPath, workerdConfig(services, ports), { mode: 0o600 })
  const args = ['serve', configPath]
  // The V8 inspector, for CPU profiles (bench/profile.ts); never on during a measured run.
  if (opts.inspectorPort) args.push(`--inspector-addr=127.0.0.1:${opts.inspectorPort}`)
  const child = spawn(workerdBinary(), args, {
    stdio: ['ignore', 'ignore', 'pipe'],
  })
  const tail: string[] = []
  child.stderr.on('data', (chunk: Buffer) => {
    tail.push(...chunk.toString().split('\n').filter(Boolean))
    if (tail.length > 40) tail.splice(0, tail.length - 40)
  })
  const exited = new Promise<void>((done) => child.once('exit', () => done()))
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM')
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000)
      await exited
      clearTimeout(timer)
    }
    await rm(dir, { recursive: true, force: true })
  }
  const deadline = Date.now() + 30_000
  for (let i = 0; i < ports.length;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      await stop()
      throw new Error(`workerd exited during start-up:\n${tail.join('\n')}`)
    }
    if (Date.now() > deadline) {
      await stop()
      throw new Error(`workerd did not listen within 30 s:\n${tail.join('\n')}`)
    }
    if (await portOpen(ports[i]!)) i++
    else await new Promise((r) => setTimeout(r, 50))
  }
  const urls: Record<string, string> = {}
  services.forEach((s, i) => (urls[s.name] = `${s.tls ? 'https' : 'http'}://127.0.0.1:${ports[i]}`))
  return { pid: child.pid!, urls, logTail: () => tail.join('\n'), stop }
}
