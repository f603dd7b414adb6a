import type { TestProject } from 'vitest/node'
import { startTestStack } from '../test-stack'

declare module 'vitest' {
  export interface ProvidedContext {
    /** `http://user:pass@127.0.0.1:PORT` of the gateway. */
    databaseUrl: string
    /** `mysql://root@127.0.0.1:PORT/edge_auth_test` of the private server behind it. */
    mysqlUrl: string
  }
}

/** One private server and gateway for the whole suite, on a throw-away data dir. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const stack = await startTestStack('gateway', 'edge_auth_test')
  project.provide('databaseUrl', stack.databaseUrl)
  project.provide('mysqlUrl', stack.mysqlUrl)
  return stack.stop
}
