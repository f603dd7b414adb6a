import { Client, connect } from '@planetscale/database'
import { sql } from 'drizzle-orm'
import { int, mysqlTable, varchar } from 'drizzle-orm/mysql-core'
import type { Connection as MysqlConnection } from 'mysql2/promise'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { startGateway, type Gateway } from '../../dev/gateway/server'
import { client, db, direct, raw, tableName } from './helpers'

const t = tableName('tx')
const rows = mysqlTable(t, {
  id: int('id').primaryKey(),
  label: varchar('label', { length: 32 }).notNull(),
})
let observer: MysqlConnection

async function visible(id: number): Promise<boolean> {
  const [found] = await observer.query(`SELECT id FROM ${t} WHERE id = ?`, [id])
  return (found as unknown[]).length === 1
}

beforeAll(async () => {
  await client().execute(`CREATE TABLE ${t} (id INT PRIMARY KEY, label VARCHAR(32) NOT NULL)`)
  observer = await direct()
})
afterAll(() => observer.end())

describe('transactions through the driver', () => {
  it('makes writes visible to another connection only after COMMIT', async () => {
    let seenInside = true
    await client().transaction(async (tx) => {
      await tx.execute(`INSERT INTO ${t} VALUES (1, 'one')`)
      seenInside = await visible(1)
      // The same session sees its own write.
      expect((await tx.execute(`SELECT label FROM ${t} WHERE id = 1`)).rows).toEqual([
        { label: 'one' },
      ])
    })
    expect(seenInside).toBe(false)
    expect(await visible(1)).toBe(true)
  })

  it('rolls back on a throw and rethrows the original error', async () => {
    const err = await client()
      .transaction(async (tx) => {
        await tx.execute(`INSERT INTO ${t} VALUES (2, 'two')`)
        throw new Error('boom')
      })
      .catch((e: unknown) => e)
    expect((err as Error).message).toBe('boom')
    expect(await visible(2)).toBe(false)
  })

  it('keeps the transaction open after a failed statement inside it', async () => {
    await client().transaction(async (tx) => {
      await tx.execute(`INSERT INTO ${t} VALUES (3, 'three')`)
      await expect(tx.execute(`INSERT INTO ${t} VALUES (3, 'again')`)).rejects.toThrow(/errno 1062/)
      await tx.execute(`INSERT INTO ${t} VALUES (4, 'four')`)
    })
    expect(await visible(3)).toBe(true)
    expect(await visible(4)).toBe(true)
  })

  it('serialises Promise.all inside one transaction', async () => {
    const ids = Array.from({ length: 20 }, (_, i) => 100 + i)
    await client().transaction(async (tx) => {
      await Promise.all(ids.map((id) => tx.execute(`INSERT INTO ${t} VALUES (?, 'p')`, [id])))
      const [{ n }] = (await tx.execute(`SELECT COUNT(*) AS n FROM ${t} WHERE label = 'p'`))
        .rows as [{ n: string }]
      expect(n).toBe('20')
      expect(await visible(100)).toBe(false)
    })
    expect(await visible(119)).toBe(true)
  })
})

describe('transactions through drizzle', () => {
  it('supports savepoints: an inner rollback keeps the outer work', async () => {
    await db().transaction(async (tx) => {
      await tx.insert(rows).values({ id: 10, label: 'outer' })
      await tx
        .transaction(async (inner) => {
          await inner.insert(rows).values({ id: 11, label: 'inner' })
          inner.rollback()
        })
        .catch(() => {})
      await tx.transaction(async (inner) => {
        await inner.insert(rows).values({ id: 12, label: 'kept' })
      })
    })
    expect(await visible(10)).toBe(true)
    expect(await visible(11)).toBe(false)
    expect(await visible(12)).toBe(true)
  })

  it('rolls back everything when the outer transaction fails', async () => {
    await db()
      .transaction(async (tx) => {
        await tx.insert(rows).values({ id: 20, label: 'gone' })
        await tx.execute(sql`SELECT * FROM no_such_table_here`)
      })
      .catch(() => {})
    expect(await visible(20)).toBe(false)
  })
})

describe('sessions', () => {
  const post = async (body: unknown) => {
    const { base, authorization } = raw()
    const res = await fetch(`${base}/psdb.v1alpha1.Database/Execute`, {
      method: 'POST',
      headers: { Authorization: authorization },
      body: JSON.stringify(body),
    })
    return (await res.json()) as { result?: unknown; error?: { message: string }; session: unknown }
  }

  it('mints a new session for every sessionless request', async () => {
    const a = await post({ query: 'SELECT 1', session: null })
    const b = await post({ query: 'SELECT 1', session: null })
    expect(a.session).not.toEqual(b.session)
  })

  it('treats ROLLBACK on an unknown session as success, and fails other statements on it', async () => {
    const lost = { vitessSession: { id: 'not-a-session', inTransaction: true } }
    expect(await post({ query: 'ROLLBACK', session: lost })).toMatchObject({ result: {} })
    const other = await post({ query: `INSERT INTO ${t} VALUES (30, 'x')`, session: lost })
    expect(other.error?.message).toMatch(/code = Aborted .*\(errno \d+\) \(sqlstate \w+\)/)
    expect(await visible(30)).toBe(false)
  })

  it('sets utf8mb4, UTC and a sql_mode without NO_BACKSLASH_ESCAPES, and sessionless SETs do not leak', async () => {
    await client().execute("SET time_zone = '+05:00'")
    const results = await Promise.all(
      Array.from({ length: 20 }, () =>
        client().execute(
          'SELECT @@time_zone AS tz, @@character_set_connection AS cs, @@sql_mode AS mode',
        ),
      ),
    )
    for (const {
      rows: [row],
    } of results) {
      expect(row).toMatchObject({ tz: '+00:00', cs: 'utf8mb4' })
      expect((row as { mode: string }).mode).not.toContain('NO_BACKSLASH_ESCAPES')
    }
  })
})

describe('a gateway of its own', () => {
  let gateway: Gateway
  let url: string
  beforeAll(async () => {
    gateway = await startGateway({
      mysqlUrl: inject('mysqlUrl'),
      user: 'u',
      password: 'p-0123456789abcdef',
      sessionIdleTimeoutMs: 300,
    })
    url = `http://u:p-0123456789abcdef@127.0.0.1:${gateway.port}`
  })
  afterAll(() => gateway.close())

  it('rolls back a transaction left idle, then fails its next statement instead of autocommitting', async () => {
    const conn = connect({ url })
    await conn.execute('BEGIN')
    await conn.execute(`INSERT INTO ${t} VALUES (40, 'abandoned')`)
    expect(gateway.openTransactions).toBe(1)
    await new Promise((r) => setTimeout(r, 700))
    expect(gateway.openTransactions).toBe(0)
    expect(await visible(40)).toBe(false)
    await expect(conn.execute(`INSERT INTO ${t} VALUES (41, 'after')`)).rejects.toThrow(
      /code = Aborted/,
    )
    expect(await visible(41)).toBe(false)
    await conn.execute('ROLLBACK')
  })

  it('releases the pinned connection on COMMIT', async () => {
    await new Client({ url }).transaction(async (tx) => {
      await tx.execute(`INSERT INTO ${t} VALUES (50, 'c')`)
      expect(gateway.openTransactions).toBe(1)
    })
    expect(gateway.openTransactions).toBe(0)
  })

  it('rolls back open transactions on shutdown, then fails clients fast', async () => {
    const password = 'p-0123456789abcdef'
    const own = await startGateway({ mysqlUrl: inject('mysqlUrl'), user: 'u', password })
    const conn = connect({ url: `http://u:${password}@127.0.0.1:${own.port}` })
    await conn.execute('BEGIN')
    await conn.execute(`INSERT INTO ${t} VALUES (60, 'pending')`)
    await own.close()
    expect(await visible(60)).toBe(false)
    const started = Date.now()
    await expect(
      new Client({ url: `http://u:${password}@127.0.0.1:${own.port}` }).execute('SELECT 1'),
    ).rejects.toThrow()
    expect(Date.now() - started).toBeLessThan(1000)
  })
})
