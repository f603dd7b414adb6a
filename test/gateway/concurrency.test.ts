import { readFileSync } from 'node:fs'
import { describe, expect, inject, it } from 'vitest'
import { migrateDatabase } from '../../dev/migrate'
import { client } from './helpers'

describe('load', () => {
  it('answers 100 concurrent queries, each with its own result', async () => {
    const c = client()
    const results = await Promise.all(
      Array.from({ length: 100 }, (_, i) => c.execute('SELECT ? AS i, SLEEP(0.01) AS s', [i])),
    )
    expect(results.map((r) => (r.rows[0] as { i: number }).i)).toEqual(
      Array.from({ length: 100 }, (_, i) => i),
    )
  })
})

describe('migrations', () => {
  it('applied drizzle/ through the gateway, and re-running is a no-op', async () => {
    await migrateDatabase(inject('databaseUrl'), new URL('../../drizzle', import.meta.url).pathname)
    const c = client()
    const tables = (await c.execute('SHOW TABLES')).rows.map((r) => Object.values(r as object)[0])
    expect(tables).toEqual(
      expect.arrayContaining(['users', 'sessions', 'login_throttles', '__drizzle_migrations']),
    )
    const journal = JSON.parse(
      readFileSync(new URL('../../drizzle/meta/_journal.json', import.meta.url), 'utf8'),
    ) as { entries: unknown[] }
    const { rows } = await c.execute('SELECT COUNT(*) AS n FROM __drizzle_migrations')
    expect(rows).toEqual([{ n: String(journal.entries.length) }])
  })
})
