import { createServer } from 'node:http'
import type { TestProject } from 'vitest/node'
import type { Stack } from '../../dev/stack'
import { startTestStack } from '../test-stack'

declare module 'vitest' {
  export interface ProvidedContext {
    /** DATABASE_URL of a stack of its own that outage tests may take down. */
    outageDatabaseUrl: string
    /** `POST /{mysql|gateway}/{stop|start}` here takes that stack's parts away and back. */
    outageControlUrl: string
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
  return async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()))
    await stack.stop()
  }
}
