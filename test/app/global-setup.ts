import type { TestProject } from 'vitest/node'
import { startTestStack } from '../test-stack'

declare module 'vitest' {
  export interface ProvidedContext {
    databaseUrl: string
  }
}

/** A private MySQL and gateway for the workerd tests, on a fresh database, stopped afterwards. */
export default async function setup(project: TestProject) {
  const stack = await startTestStack('app', 'edge_auth_test')
  project.provide('databaseUrl', stack.databaseUrl)
  return stack.stop
}
