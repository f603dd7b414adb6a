import { createServer, type Socket } from 'node:net'
import type { TestProject } from 'vitest/node'
import { startPwnedRange } from '../../dev/pwned-range'

declare module 'vitest' {
  export interface ProvidedContext {
    /** The local Have I Been Pwned range stand-in. */
    pwnedUrl: string
    /** Where a stand-in listened until it was stopped: nothing answers there. */
    pwnedStoppedUrl: string
    /** A server that accepts connections and never answers, to exercise the timeout. */
    pwnedStalledUrl: string
  }
}

async function startStalledServer(): Promise<{ url: string; stop(): Promise<void> }> {
  const sockets = new Set<Socket>()
  const server = createServer((socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  return {
    url: `http://127.0.0.1:${port}`,
    stop: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy()
        server.close(() => resolve())
      }),
  }
}

/** The range API stand-in for the workerd tests, plus a stopped one and a stalled one. */
export default async function setup(project: TestProject) {
  const range = await startPwnedRange()
  const stopped = await startPwnedRange({ corpus: [] })
  await stopped.stop()
  const stalled = await startStalledServer()
  project.provide('pwnedUrl', range.url)
  project.provide('pwnedStoppedUrl', stopped.url)
  project.provide('pwnedStalledUrl', stalled.url)
  return async () => {
    await Promise.all([range.stop(), stalled.stop()])
  }
}
