import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { TestProject } from 'vitest/node'
import { startStack } from '../../dev/stack'

declare module 'vitest' {
  export interface ProvidedContext {
    /** `http://user:pass@127.0.0.1:PORT` of the gateway. */
    databaseUrl: string
    /** `mysql://root@127.0.0.1:PORT/edge_auth_test` of the private server behind it. */
    mysqlUrl: string
  }
}

const dataRoot = fileURLToPath(new URL('../../.data', import.meta.url))

/** One private server and gateway for the whole suite, on a throw-away data dir. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  await mkdir(dataRoot, { recursive: true })
  const dataDir = await mkdtemp(join(dataRoot, 'test-gateway-'))
  try {
    const stack = await startStack({ dataDir, database: 'edge_auth_test', fresh: true })
    project.provide('databaseUrl', stack.databaseUrl)
    project.provide('mysqlUrl', stack.mysqlUrl)
    return async () => {
      await stack.stop()
      await rm(dataDir, { recursive: true, force: true })
    }
  } catch (err) {
    await rm(dataDir, { recursive: true, force: true })
    throw err
  }
}
