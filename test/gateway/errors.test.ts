import { Client, DatabaseError } from '@planetscale/database'
import { sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { inject } from 'vitest'
import { startGateway, type Gateway } from '../../dev/gateway/server'
import { client, db, messages, raw, tableName } from './helpers'

describe('SQL errors', () => {
  const t = tableName('errs')
  beforeAll(async () => {
    await client().execute(
      `CREATE TABLE ${t} (id INT PRIMARY KEY, email VARCHAR(64) NOT NULL UNIQUE)`,
    )
  })

  it('reports a duplicate key as PlanetScale does, detectable through drizzle by (errno 1062)', async () => {
    await db().execute(sql.raw(`INSERT INTO ${t} VALUES (1, 'a@example.com')`))
    const err = await db()
      .execute(sql`INSERT INTO ${sql.raw(t)} VALUES (2, ${'a@example.com'})`)
      .catch((e: unknown) => e)
    const text = messages(err)
    expect(text).toContain('(errno 1062) (sqlstate 23000)')
    expect(text).toContain('code = AlreadyExists')
    // The value is redacted from the statement, as Vitess does with bind variables.
    expect(text).toMatch(/Sql: "INSERT INTO \w+ VALUES \(2, :vtg1\)", BindVars: \{REDACTED\}/)
  })

  it('reports a missing table as NotFound (errno 1146) and keeps serving', async () => {
    const err = (await client()
      .execute('SELECT * FROM no_such_table')
      .catch((e: unknown) => e)) as DatabaseError
    expect(err).toBeInstanceOf(DatabaseError)
    expect(err.status).toBe(400)
    expect(err.message).toMatch(/code = NotFound desc = .*\(errno 1146\) \(sqlstate 42S02\)/)
    expect((await client().execute('SELECT 1 AS one')).rows).toEqual([{ one: 1 }])
  })

  it('puts (errno N) (sqlstate S) in every error message', async () => {
    const err = (await client()
      .execute('SELEC nonsense')
      .catch((e: unknown) => e)) as DatabaseError
    expect(err.message).toMatch(/code = InvalidArgument .*\(errno 1064\) \(sqlstate 42000\)/)
  })
})

describe('authentication', () => {
  let gateway: Gateway
  const password = 'p@ss:w/rd% é-and-16+-chars'
  beforeAll(async () => {
    gateway = await startGateway({ mysqlUrl: inject('mysqlUrl'), user: 'u ser', password })
  })
  afterAll(() => gateway.close())

  it('accepts credentials percent-encoded (the driver) and decoded (other clients)', async () => {
    const url = `http://${encodeURIComponent('u ser')}:${encodeURIComponent(password)}@127.0.0.1:${gateway.port}`
    expect((await new Client({ url }).execute('SELECT 2 AS two')).rows).toEqual([{ two: 2 }])
    const res = await fetch(`${gateway.url}/psdb.v1alpha1.Database/Execute`, {
      method: 'POST',
      headers: { Authorization: `Basic ${Buffer.from(`u ser:${password}`).toString('base64')}` },
      body: JSON.stringify({ query: 'SELECT 1' }),
    })
    expect(res.status).toBe(200)
  })

  it('answers a wrong password with HTTP 401 and a JSON error the driver surfaces', async () => {
    const url = `http://${encodeURIComponent('u ser')}:wrong@127.0.0.1:${gateway.port}`
    const err = (await new Client({ url })
      .execute('SELECT 1')
      .catch((e: unknown) => e)) as DatabaseError
    expect(err).toBeInstanceOf(DatabaseError)
    expect(err.status).toBe(401)
    expect(err.body).toMatchObject({ code: 'UNAUTHENTICATED' })
  })

  it('rejects a missing Authorization header', async () => {
    const res = await fetch(`${gateway.url}/psdb.v1alpha1.Database/Execute`, {
      method: 'POST',
      body: JSON.stringify({ query: 'SELECT 1' }),
    })
    expect(res.status).toBe(401)
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('UNAUTHENTICATED')
  })
})

describe('malformed requests', () => {
  const post = async (path: string, body: BodyInit, method = 'POST') => {
    const { base, authorization } = raw()
    const res = await fetch(`${base}${path}`, {
      method,
      headers: { 'Content-Type': 'application/json', Authorization: authorization },
      body: method === 'GET' ? undefined : body,
    })
    return {
      status: res.status,
      body: (await res.json()) as { error?: { code: string; message: string } },
    }
  }
  const execute = '/psdb.v1alpha1.Database/Execute'

  it('answers each with a clean JSON error and keeps serving', async () => {
    expect(await post(execute, '{"query": ')).toMatchObject({
      status: 400,
      body: { error: { code: 'INVALID_ARGUMENT' } },
    })
    expect(await post(execute, '{"session": null}')).toMatchObject({
      status: 400,
      body: { error: { message: expect.stringContaining('query') } },
    })
    expect(await post(execute, '[1]')).toMatchObject({ status: 400 })
    expect(await post(execute, JSON.stringify({ query: 42 }))).toMatchObject({ status: 400 })
    expect(await post('/psdb.v1alpha1.Database/Nope', '{}')).toMatchObject({
      status: 404,
      body: { error: { code: 'NOT_FOUND' } },
    })
    expect(await post(execute, '', 'GET')).toMatchObject({ status: 405 })
    const huge = JSON.stringify({ query: `SELECT '${'x'.repeat(9 * 1024 * 1024)}'` })
    expect(await post(execute, huge)).toMatchObject({
      status: 413,
      body: { error: { code: 'RESOURCE_EXHAUSTED' } },
    })
    expect((await client().execute('SELECT 3 AS three')).rows).toEqual([{ three: 3 }])
  })

  it('creates sessions on CreateSession, as Connection.refresh() expects', async () => {
    const res = await post('/psdb.v1alpha1.Database/CreateSession', '{}')
    expect(res.status).toBe(200)
    expect(res.body).toMatchObject({ session: { vitessSession: { inTransaction: false } } })
  })
})
