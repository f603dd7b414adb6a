import { execFile } from 'node:child_process'
import { mkdir, mkdtemp, rm, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { Client } from '@planetscale/database'
import mysql from 'mysql2/promise'
import { afterAll, describe, expect, inject, it } from 'vitest'
import { findServerBinary, startPrivateMysql } from '../../dev/mysql'
import { rootPasswordFile } from '../../dev/mysql-root'
import { startStack } from '../../dev/stack'

const run = promisify(execFile)
const dataRoot = fileURLToPath(new URL('../../.data', import.meta.url))
const dirs: string[] = []
afterAll(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))))

const mode = async (path: string) => (await stat(path)).mode & 0o777

describe('a data dir left by an older run (passwordless root on TCP)', async () => {
  const bin = await findServerBinary()
  it.skipIf(bin.flavor !== 'mariadb')(
    'is migrated: root gets a 0600 secret, the dir 0700',
    async () => {
      await mkdir(dataRoot, { recursive: true })
      const dataDir = join(await mkdtemp(join(dataRoot, 'test-legacy-')), 'mysql')
      dirs.push(join(dataDir, '..'))
      // Exactly how the previous dev/mysql.ts initialised a data dir.
      await run(bin.installDb!, [
        '--no-defaults',
        `--datadir=${dataDir}`,
        '--auth-root-authentication-method=normal',
        '--skip-test-db',
        ...(process.getuid?.() === 0 ? ['--user=root'] : []),
      ])
      const stack = await startStack({ dataDir, database: 'legacy', migrate: false })
      try {
        expect(await mode(dataDir)).toBe(0o700)
        expect(await mode(rootPasswordFile(dataDir))).toBe(0o600)
        const port = stack.mysql!.port
        const err = await mysql
          .createConnection({ host: '127.0.0.1', port, user: 'root' })
          .catch((e: unknown) => e)
        expect(err).toMatchObject({ errno: 1045 })
        const rows = (
          await new Client({ url: stack.databaseUrl }).execute('SELECT DATABASE() AS d')
        ).rows
        expect(rows).toEqual([{ d: 'legacy' }])
      } finally {
        await stack.stop()
      }
      // A second start reuses the secret instead of failing or regenerating it.
      const again = await startStack({ dataDir, database: 'legacy', migrate: false })
      await again.stop()
    },
    60_000,
  )
})

describe('a new data dir', () => {
  it('starts on its socket alone until root is secured, then on TCP', async () => {
    await mkdir(dataRoot, { recursive: true })
    const dataDir = join(await mkdtemp(join(dataRoot, 'test-fresh-')), 'mysql')
    dirs.push(join(dataDir, '..'))
    const lines: string[] = []
    const stack = await startStack({
      dataDir,
      database: 'fresh',
      migrate: false,
      log: (l) => lines.push(l),
    })
    try {
      const socketOnly = lines.findIndex((l) => l.includes('on its socket alone'))
      const tcp = lines.findIndex((l) => /on 127\.0\.0\.1:\d+ .* ready/.test(l))
      expect(socketOnly).toBeGreaterThanOrEqual(0)
      expect(tcp).toBeGreaterThan(socketOnly)
      expect(await mode(rootPasswordFile(dataDir))).toBe(0o600)
      const err = await mysql
        .createConnection({ host: '127.0.0.1', port: stack.mysql!.port, user: 'root' })
        .catch((e: unknown) => e)
      expect(err).toMatchObject({ errno: expect.any(Number) })
    } finally {
      await stack.stop()
    }
  }, 60_000)
})

describe('MYSQL_URL given by the developer', () => {
  it('is used as given: its account, the database named in its path, no private server', async () => {
    const stack = await startStack({ mysqlUrl: inject('mysqlUrl'), migrate: false })
    try {
      expect(stack.database).toBe('edge_auth_test')
      expect(stack.mysql).toBeUndefined()
      const rows = (await new Client({ url: stack.databaseUrl }).execute('SELECT DATABASE() AS d'))
        .rows
      expect(rows).toEqual([{ d: 'edge_auth_test' }])
    } finally {
      await stack.stop()
    }
  })
})

describe('a private server with no TCP account at all', () => {
  it('still counts as ready when it refuses 127.0.0.1 outright (errno 1130), and restarts', async () => {
    await mkdir(dataRoot, { recursive: true })
    const dataDir = await mkdtemp(join(dataRoot, 'test-bare-'))
    dirs.push(dataDir)
    const server = await startPrivateMysql({ dataDir })
    try {
      await server.stop()
      expect(server.running).toBe(false)
      await server.start()
      expect(server.running).toBe(true)
      const conn = await mysql.createConnection(server.root)
      const [rows] = await conn.query('SELECT CURRENT_USER() AS u')
      await conn.end()
      expect(rows).toEqual([{ u: 'root@localhost' }])
    } finally {
      await server.stop()
    }
  }, 60_000)
})
