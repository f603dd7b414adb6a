import { Client } from '@planetscale/database'
import { afterEach, describe, expect, it } from 'vitest'
import type { Stack } from '../../dev/stack'
import { checkDialect } from '../../dev/dialect-check'
import { migrateDatabase } from '../../dev/migrate'
import { direct, gatewayFor } from './legacy'

type Rows = Array<Record<string, unknown>>

async function query(database: string, sql: string): Promise<Rows> {
  const conn = await direct(database)
  try {
    return (await conn.query(sql))[0] as Rows
  } finally {
    await conn.end()
  }
}

const stacks: Stack[] = []
async function migrated(database: string) {
  const stack = await gatewayFor(database)
  stacks.push(stack)
  await migrateDatabase(stack.databaseUrl)
  return stack
}
afterEach(async () => {
  for (const stack of stacks.splice(0)) await stack.stop()
})

const probeRows = async (database: string) => [
  ...(await query(database, "SELECT * FROM login_throttles WHERE key_hash LIKE 'dialect-check-%'")),
  ...(await query(
    database,
    "SELECT * FROM one_time_tokens WHERE token_hash LIKE 'dialect-check-%'",
  )),
]

describe("db:migrate's check of the statements the app relies on", () => {
  it('passes on this MySQL through the gateway and leaves nothing behind', async () => {
    const stack = await migrated('dialect_ok')
    await checkDialect(new Client({ url: stack.databaseUrl }))
    expect(await probeRows('dialect_ok')).toEqual([])
  })

  it('fails, naming the statement, where the database answers otherwise', async () => {
    const stack = await migrated('dialect_changed')
    // A database where the throttle's upsert cannot run as written: its table is not the app's.
    await query('dialect_changed', 'ALTER TABLE login_throttles DROP COLUMN blocked_until')
    const check = checkDialect(new Client({ url: stack.databaseUrl }))
    await expect(check).rejects.toThrow(/does not run a throttle reservation .*blocked_until/)
    expect(await probeRows('dialect_changed')).toEqual([])
    await expect(migrateDatabase(stack.databaseUrl)).rejects.toThrow(/throttle reservation/)
  })
})
