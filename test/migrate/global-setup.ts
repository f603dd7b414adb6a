import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { TestProject } from 'vitest/node'
import { startPrivateMysql } from '../../dev/mysql'

declare module 'vitest' {
  export interface ProvidedContext {
    /** `mysql://root@127.0.0.1:PORT` (no database): each test builds its own legacy database. */
    mysqlServerUrl: string
  }
}

const dataRoot = fileURLToPath(new URL('../../.data', import.meta.url))

/** One private server for the project, on a throw-away data dir removed afterwards. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  await mkdir(dataRoot, { recursive: true })
  const dataDir = await mkdtemp(join(dataRoot, 'test-migrate-'))
  try {
    const server = await startPrivateMysql({ dataDir })
    project.provide('mysqlServerUrl', server.url)
    return () => server.stop().finally(() => rm(dataDir, { recursive: true, force: true }))
  } catch (err) {
    await rm(dataDir, { recursive: true, force: true })
    throw err
  }
}
