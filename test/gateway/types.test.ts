import { sql } from 'drizzle-orm'
import {
  bigint,
  datetime,
  int,
  mysqlTable,
  serial,
  text,
  timestamp,
  varchar,
} from 'drizzle-orm/mysql-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { client, db, raw, tableName } from './helpers'

const all = tableName('types')

beforeAll(async () => {
  await client().execute(`CREATE TABLE ${all} (
    id INT PRIMARY KEY,
    i8 TINYINT, i16 SMALLINT, i24 MEDIUMINT, i32 INT, i64 BIGINT,
    u8 TINYINT UNSIGNED, u32 INT UNSIGNED, u64 BIGINT UNSIGNED,
    dec_ DECIMAL(12,2), f32 FLOAT, f64 DOUBLE,
    vc VARCHAR(32), ch CHAR(4), tx TEXT, vb VARBINARY(16), bl BLOB, bn BINARY(4), vbin VARCHAR(16) COLLATE utf8mb4_bin,
    dt DATETIME, d DATE, ts TIMESTAMP NULL, tm TIME, yr YEAR,
    en ENUM('a','b'), st SET('x','y'), bt BIT(8), js JSON
  )`)
})

afterAll(async () => {
  await client().execute(`DROP TABLE IF EXISTS ${all}`)
})

describe('column types', () => {
  it('maps every MySQL type to the Vitess type the driver casts by', async () => {
    const res = await client().execute(`SELECT * FROM ${all} LIMIT 0`)
    expect(res.types).toEqual({
      id: 'INT32',
      i8: 'INT8',
      i16: 'INT16',
      i24: 'INT24',
      i32: 'INT32',
      i64: 'INT64',
      u8: 'UINT8',
      u32: 'UINT32',
      u64: 'UINT64',
      dec_: 'DECIMAL',
      f32: 'FLOAT32',
      f64: 'FLOAT64',
      vc: 'VARCHAR',
      ch: 'CHAR',
      tx: 'TEXT',
      vb: 'VARBINARY',
      bl: 'BLOB',
      bn: 'BINARY',
      vbin: 'VARBINARY',
      dt: 'DATETIME',
      d: 'DATE',
      ts: 'TIMESTAMP',
      tm: 'TIME',
      yr: 'YEAR',
      en: 'ENUM',
      st: 'SET',
      bt: 'BIT',
      js: 'JSON',
    })
  })

  it('round-trips extremes, text, bytes and temporal values through the driver', async () => {
    const c = client()
    const insert = await c.execute(
      `INSERT INTO ${all} VALUES (?, -128, -32768, -8388608, -2147483648, '-9223372036854775808',
        255, 4294967295, '18446744073709551615', '-1234567890.12', 1.5, 2.25,
        ?, 'ab', ?, ?, ?, ?, ?, '2024-01-02 03:04:05', '2024-02-29', '2038-01-19 03:14:07', '-838:59:59', 2155,
        'b', 'x,y', b'10100101', ?)`,
      [
        1,
        'é😀 "q" \\ \n',
        '',
        new Uint8Array([0, 255, 10, 39]),
        new Uint8Array([]),
        new Uint8Array([1, 2, 3, 4]),
        'Bin',
        '{"a":[1,null]}',
      ],
    )
    expect(insert.rowsAffected).toBe(1)
    const [row] = (await c.execute(`SELECT * FROM ${all} WHERE id = 1`)).rows as Array<
      Record<string, unknown>
    >
    expect(row).toEqual({
      id: 1,
      i8: -128,
      i16: -32768,
      i24: -8388608,
      i32: -2147483648,
      i64: '-9223372036854775808',
      u8: 255,
      u32: 4294967295,
      u64: '18446744073709551615',
      dec_: '-1234567890.12',
      f32: 1.5,
      f64: 2.25,
      vc: 'é😀 "q" \\ \n',
      ch: 'ab',
      tx: '',
      vb: new Uint8Array([0, 255, 10, 39]),
      bl: new Uint8Array([]),
      bn: new Uint8Array([1, 2, 3, 4]),
      vbin: 'Bin',
      dt: '2024-01-02 03:04:05',
      d: '2024-02-29',
      ts: '2038-01-19 03:14:07',
      tm: '-838:59:59',
      yr: 2155,
      en: 'b',
      st: 'x,y',
      bt: new Uint8Array([0xa5]),
      js: { a: [1, null] },
    })
  })

  it('returns NULL in every column type as null', async () => {
    const c = client()
    await c.execute(`INSERT INTO ${all} (id) VALUES (2)`)
    const [row] = (await c.execute(`SELECT * FROM ${all} WHERE id = 2`)).rows as Array<
      Record<string, unknown>
    >
    for (const [name, value] of Object.entries(row!))
      if (name !== 'id') expect(value, name).toBeNull()
  })

  it('encodes rows as byte lengths (-1 for NULL) and base64 values, 64-bit counters as strings', async () => {
    const { base, authorization } = raw()
    const res = await fetch(`${base}/psdb.v1alpha1.Database/Execute`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: authorization },
      body: JSON.stringify({
        query: "SELECT 'é' AS a, NULL AS b, '' AS c, COUNT(*) AS n FROM DUAL",
        session: null,
      }),
    })
    const body = (await res.json()) as {
      session: unknown
      timing: number
      result: {
        fields: Array<{ name: string; type?: string }>
        rows: Array<{ lengths: string[]; values: string }>
      }
    }
    expect(res.status).toBe(200)
    expect(body.session).toBeTruthy()
    expect(typeof body.timing).toBe('number')
    expect(body.result.rows).toEqual([
      { lengths: ['2', '-1', '0', '1'], values: Buffer.from('é1').toString('base64') },
    ])
    expect(body.result.fields.map((f) => f.type)).toEqual([
      'VARCHAR',
      undefined,
      'VARCHAR',
      'INT64',
    ])
  })

  it('answers DDL and writes with result {} or counters as strings, and multi-row selects in order', async () => {
    const { base, authorization } = raw()
    const post = async (query: string) => {
      const res = await fetch(`${base}/psdb.v1alpha1.Database/Execute`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Authorization: authorization },
        body: JSON.stringify({ query, session: null }),
      })
      return (await res.json()) as { result: Record<string, unknown> }
    }
    const t = tableName('multi')
    expect(
      (await post(`CREATE TABLE ${t} (id BIGINT UNSIGNED AUTO_INCREMENT PRIMARY KEY, v INT)`))
        .result,
    ).toEqual({})
    expect((await post(`INSERT INTO ${t} (v) VALUES (1), (2), (3)`)).result).toEqual({
      rowsAffected: '3',
      insertId: '1',
    })
    await post(`INSERT INTO ${t} (id, v) VALUES (9223372036854775807, 4)`)
    expect((await post(`INSERT INTO ${t} (v) VALUES (5)`)).result).toEqual({
      rowsAffected: '1',
      insertId: '9223372036854775808',
    })
    const rows = (await client().execute(`SELECT v FROM ${t} ORDER BY id`)).rows
    expect(rows).toEqual([{ v: 1 }, { v: 2 }, { v: 3 }, { v: 4 }, { v: 5 }])
    expect((await post(`DROP TABLE ${t}`)).result).toEqual({})
  })
})

describe('through drizzle', () => {
  const name = tableName('drizzle')
  const things = mysqlTable(name, {
    id: serial('id').primaryKey(),
    label: varchar('label', { length: 64 }).notNull(),
    note: text('note'),
    big: bigint('big', { mode: 'bigint', unsigned: true }),
    count: int('count'),
    at: datetime('at', { mode: 'date', fsp: 3 }),
    stamp: timestamp('stamp', { mode: 'date' }),
  })

  beforeAll(async () => {
    await db().execute(
      sql.raw(`CREATE TABLE ${name} (id SERIAL PRIMARY KEY, label VARCHAR(64) NOT NULL,
      note TEXT, big BIGINT UNSIGNED, count INT, at DATETIME(3), stamp TIMESTAMP NULL)`),
    )
  })

  it('round-trips dates in UTC, 4-byte UTF-8, unsigned 64-bit and NULL', async () => {
    const at = new Date('2024-06-30T23:59:58.123Z')
    const [inserted] = await db()
      .insert(things)
      .values({ label: '🦄 ü', note: null, big: 18446744073709551615n, count: -7, at, stamp: at })
      .$returningId()
    const id = inserted!.id
    const [row] = await db()
      .select()
      .from(things)
      .where(sql`${things.id} = ${id}`)
    expect(row).toEqual({
      id,
      label: '🦄 ü',
      note: null,
      big: 18446744073709551615n,
      count: -7,
      at,
      stamp: new Date('2024-06-30T23:59:58.000Z'),
    })
  })

  it('reads what MySQL wrote with its own clock as UTC', async () => {
    const before = Date.now()
    await db().execute(
      sql.raw(`INSERT INTO ${name} (label, stamp) VALUES ('now', UTC_TIMESTAMP())`),
    )
    const rows = await db()
      .select({ stamp: things.stamp })
      .from(things)
      .where(sql`${things.label} = 'now'`)
    expect(Math.abs(rows[0]!.stamp!.getTime() - before)).toBeLessThan(5000)
  })
})
