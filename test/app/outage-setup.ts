import { createServer } from 'node:http'
import { createServer as createTcpServer, type Socket } from 'node:net'
import type { TestProject } from 'vitest/node'
import type { Stack } from '../../dev/stack'
import { startTestStack } from '../test-stack'

declare module 'vitest' {
  export interface ProvidedContext {
    /** DATABASE_URL of a stack of its own that outage tests may take down. */
    outageDatabaseUrl: string
    /** `POST /{mysql|gateway}/{stop|start}` here takes that stack's parts away and back. */
    outageControlUrl: string
    /** A database that sends its answer's headers and a few bytes of the body, then nothing more. */
    halfAnswerStalledUrl: string
    /** A database that sends its answer's headers and a few bytes of the body, then hangs up. */
    halfAnswerCutUrl: string
  }
}

/**
 * A stand-in for a database whose answer breaks off after its headers (a connection lost, or a
 * backend that stalls mid-answer): `cut` hangs up there, otherwise it stalls until stopped.
 */
async function startHalfAnswer(cut: boolean) {
  const sockets = new Set<Socket>()
  const server = createTcpServer((socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
    socket.on('error', () => undefined)
    socket.once('data', () => {
      socket.write(
        'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 4096\r\n\r\n{"session":',
      )
      if (cut) setTimeout(() => socket.destroy(), 50)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  return {
    url: `http://user:${'p'.repeat(32)}@127.0.0.1:${port}`,
    stop: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy()
        server.close(() => resolve())
      }),
  }
}

/**
 * A second private MySQL and gateway for the outage tests, so taking them down never disturbs the
 * other test files, and a small control server the tests in workerd call to do it.
 */
export default async function setup(project: TestProject) {
  const stack: Stack = await startTestStack('outage', 'edge_auth_outage')
  const server = createServer((req, res) => {
    const [, part, action] = (req.url ?? '').split('/')
    const target = part === 'mysql' ? stack.mysql : part === 'gateway' ? stack.gateway : undefined
    if (req.method !== 'POST' || !target || (action !== 'stop' && action !== 'start')) {
      res.writeHead(404).end()
      return
    }
    target[action]().then(
      () => res.writeHead(204).end(),
      (err: unknown) => res.writeHead(500).end(String(err)),
    )
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  project.provide('outageDatabaseUrl', stack.databaseUrl)
  project.provide('outageControlUrl', `http://127.0.0.1:${port}`)
  const [stalled, cut] = await Promise.all([startHalfAnswer(false), startHalfAnswer(true)])
  project.provide('halfAnswerStalledUrl', stalled.url)
  project.provide('halfAnswerCutUrl', cut.url)
  return async () => {
    await Promise.all([stalled.stop(), cut.stop()])
    await new Promise<void>((resolve) => server.close(() => resolve()))
    await stack.stop()
  }
}
