// npm run bench:profile [-- --path /welcome] [-- --seconds 5]: a V8 CPU profile of the app (an
// unminified deploy bundle in workerd) under load on one signed-in or anonymous GET, printed as the
// functions with the most self time. For finding where a request's CPU goes, not for figures.
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import WebSocket from 'ws'
import { freePort } from '../dev/ports'
import { createUsers, login } from './accounts'
import { percentile, runLoad, type Scenario } from './load'
import { APP_HEADERS } from './requests'
import { loginScenario } from './scenarios'
import { startServices } from './services'
import { startBenchStack } from './stack'

interface ProfileNode {
  id: number
  callFrame: { functionName: string; url: string; lineNumber: number }
  children?: number[]
}
interface Profile {
  nodes: ProfileNode[]
  samples: number[]
}

const { values } = parseArgs({
  options: {
    path: { type: 'string', default: '/welcome' },
    seconds: { type: 'string', default: '5' },
    anonymous: { type: 'boolean', default: false },
    // Cost-4 logins one at a time, on the service that allows cost 4.
    login: { type: 'boolean', default: false },
    out: { type: 'string' },
  },
})

/** A minimal Chrome DevTools Protocol client over the inspector's WebSocket. */
async function inspector(port: number, service: string) {
  const targets = (await (await fetch(`http://127.0.0.1:${port}/json/list`)).json()) as Array<{
    id: string
    webSocketDebuggerUrl: string
  }>
  const target = targets.find((t) => t.id === service) ?? targets[0]
  if (!target) throw new Error('no inspector target')
  const socket = new WebSocket(target.webSocketDebuggerUrl)
  await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject))
  let nextId = 0
  const pending = new Map<number, (result: unknown) => void>()
  socket.on('message', (data) => {
    const message = JSON.parse(String(data)) as { id?: number; result?: unknown }
    if (message.id !== undefined) pending.get(message.id)?.(message.result)
  })
  return {
    send: (method: string, params: object = {}) =>
      new Promise<unknown>((resolve) => {
        const id = ++nextId
        pending.set(id, resolve)
        socket.send(JSON.stringify({ id, method, params }))
      }),
    close: () => socket.close(),
  }
}

function selfTimes(profile: Profile): Array<[string, number]> {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]))
  const counts = new Map<string, number>()
  for (const id of profile.samples) {
    const frame = byId.get(id)!.callFrame
    const where = frame.url ? `${frame.url.split('/').pop()}:${frame.lineNumber + 1}` : ''
    const key = `${frame.functionName || '(anonymous)'} ${where}`
    counts.set(key, (counts.get(key) ?? 0) + 1)
  }
  const total = profile.samples.length
  return [...counts.entries()]
    .sort((a, b) => b[1] - a[1])
    .map(([key, n]) => [key, (100 * n) / total])
}

const tmp = await mkdtemp(join(tmpdir(), 'edge-auth-profile-'))
const stack = await startBenchStack()
const port = await freePort()
const { workerd, urls } = await startServices(stack, tmp, { inspectorPort: port, unminified: true })
try {
  const service = values.login ? urls.app4 : urls.app
  const emails = await createUsers(service, 4, 'profile')
  const cookie = values.anonymous || values.login ? undefined : await login(service, emails[0]!)
  const scenario: Scenario = values.login
    ? loginScenario('POST /login cost 4', service, emails)
    : {
        name: values.path!,
        url: service,
        method: 'GET',
        path: values.path!,
        expect: 200,
        headers: cookie ? { ...APP_HEADERS, Cookie: cookie } : APP_HEADERS,
      }
  const connections = values.login ? 1 : 10
  await runLoad(scenario, { amount: values.login ? 200 : 2000, connections })
  const cdp = await inspector(port, values.login ? 'app4' : 'app')
  await cdp.send('Profiler.enable')
  await cdp.send('Profiler.setSamplingInterval', { interval: 50 })
  await cdp.send('Profiler.start')
  const load = await runLoad(scenario, { seconds: Number(values.seconds), connections })
  const { profile } = (await cdp.send('Profiler.stop')) as { profile: Profile }
  cdp.close()
  if (values.out) await writeFile(values.out, JSON.stringify(profile))
  const p50 = percentile(load.latencies, 50)
  console.log(`${load.requests} requests, ${load.errors} errors, p50 ${p50.toFixed(2)} ms`)
  console.log('self time by function:')
  for (const [key, pct] of selfTimes(profile).slice(0, 40)) {
    console.log(`${pct.toFixed(1).padStart(5)}%  ${key}`)
  }
} finally {
  await workerd.stop()
  await stack.stop()
  await rm(tmp, { recursive: true, force: true })
}
