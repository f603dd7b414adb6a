import { Client, DatabaseError } from '@planetscale/database'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Stack } from '../../dev/stack'
import { startTestStack } from '../test-stack'

// A stack of its own: these tests take its MySQL server and its gateway away.
let stack: Stack
beforeAll(async () => {
  stack = await startTestStack('outage', 'edge_auth_outage', { migrate: false })
})
afterAll(() => stack?.stop())

const client = () => new Client({ url: stack.databaseUrl })

async function failure(run: () => Promise<unknown>): Promise<DatabaseError> {
  const err = await run().then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(err).toBeInstanceOf(DatabaseError)
  return err as DatabaseError
}

describe('MySQL down under a running gateway', () => {
  it('answers every statement with code = Unavailable, then recovers when MySQL is back', async () => {
    expect((await client().execute('SELECT 1 AS one')).rows).toEqual([{ one: 1 }])
    const tx = client().connection()
    await tx.execute('BEGIN')

    await stack.mysql!.stop()
    expect(stack.mysql!.running).toBe(false)
    const sessionless = await failure(() => client().execute('SELECT 2 AS two'))
    // What the driver makes of PlanetScale's answer for an unreachable tablet (see errors.ts).
    expect(sessionless.status).toBe(400)
    expect(sessionless.body).toMatchObject({ code: 'UNAVAILABLE' })
    expect(sessionless.body.message).toContain('code = Unavailable')
    expect(sessionless.body.message).toMatch(/\(errno 20(03|13)\)/)
    const inTransaction = await failure(() => tx.execute('SELECT 3 AS three'))
    expect(inTransaction.body.message).toContain('code = Unavailable')

    await stack.mysql!.start()
    expect((await client().execute('SELECT 4 AS four')).rows).toEqual([{ four: 4 }])
  }, 15_000)

  it('reports a connection lost in the middle of a statement as Unavailable', async () => {
    const slow = failure(() => client().execute('SELECT SLEEP(5) AS s'))
    await new Promise((r) => setTimeout(r, 300))
    await stack.mysql!.stop()
    const err = await slow
    expect(err.body.message).toContain('code = Unavailable')
    await stack.mysql!.start()
    expect((await client().execute('SELECT 6 AS six')).rows).toEqual([{ six: 6 }])
  }, 15_000)
})

describe('gateway down', () => {
  it('refuses connections while stopped and serves the same URL again once started', async () => {
    await stack.gateway.stop()
    expect(stack.gateway.running).toBe(false)
    await expect(client().execute('SELECT 1')).rejects.toThrow(/fetch failed/)
    await stack.gateway.start()
    expect((await client().execute('SELECT 7 AS seven')).rows).toEqual([{ seven: 7 }])
  })
})
