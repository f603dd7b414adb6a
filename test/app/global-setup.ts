import type { TestProject } from 'vitest/node'
import { startStack } from '../../dev/stack'

declare module 'vitest' {
  export interface ProvidedContext {
    databaseUrl: string
  }
}

/** A private MySQL and gateway for the workerd tests, on a fresh database, stopped afterwards. */
export default async function setup(project: TestProject) {
  const stack = await startStack({
    dataDir: `.data/test-app-${process.pid}`,
    database: 'edge_auth_test',
    fresh: true,
  })
  project.provide('databaseUrl', stack.databaseUrl)
  return () => stack.stop()
}
