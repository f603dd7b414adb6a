import { randomBytes } from 'node:crypto'
import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import mysql from 'mysql2/promise'
import type { TestProject } from 'vitest/node'
import { startPrivateMysql } from '../../dev/mysql'

declare module 'vitest' {
  export interface ProvidedContext {
    /** `mysql://USER:PASSWORD@127.0.0.1:PORT` (no database): each test builds its own legacy database. */
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
    // Root only logs in over the socket; these tests play the old app's own account, which made
    // databases over TCP: a throw-away server's test account may do the same.
    const password = randomBytes(18).toString('base64url')
    const root = await mysql.createConnection(server.root)
    await root.query(`CREATE USER 'legacy_app'@'127.0.0.1' IDENTIFIED BY '${password}'`)
    await root.query(`GRANT ALL ON *.* TO 'legacy_app'@'127.0.0.1'`)
    await root.end()
    const url = new URL(server.url)
    url.username = 'legacy_app'
    url.password = password
    project.provide('mysqlServerUrl', url.toString())
    return () => server.stop().finally(() => rm(dataDir, { recursive: true, force: true }))
  } catch (err) {
    await rm(dataDir, { recursive: true, force: true })
    throw err
  }
}
