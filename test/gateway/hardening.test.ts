import { request } from 'node:http'
import mysql from 'mysql2/promise'
import { describe, expect, inject, it } from 'vitest'
import { client, direct, raw } from './helpers'

const EXECUTE = '/psdb.v1alpha1.Database/Execute'

// node:http rather than fetch: fetch will not send a Host header of the caller's choosing.
function post(headers: Record<string, string>): Promise<{ status: number; body: string }> {
  const { base, authorization } = raw()
  const url = new URL(base)
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: url.hostname,
        port: url.port,
        path: EXECUTE,
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Authorization: authorization, ...headers },
      },
      (res) => {
        let body = ''
        res.setEncoding('utf8')
        res.on('data', (chunk: string) => (body += chunk))
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }))
      },
    )
    req.on('error', reject)
    req.end(JSON.stringify({ query: 'SELECT 1 AS one', session: null }))
  })
}

describe('gateway request filter', () => {
  const port = () => new URL(raw().base).port

  it('answers loopback Host names on its own port', async () => {
    for (const host of ['127.0.0.1', 'localhost', '[::1]', 'LOCALHOST'])
      expect((await post({ Host: `${host}:${port()}` })).status, host).toBe(200)
  })

  it('refuses a foreign Host (DNS rebinding) and a loopback name on another port', async () => {
    for (const host of ['evil.example', `evil.example:${port()}`, '127.0.0.1:1', '127.0.0.1']) {
      const res = await post({ Host: host })
      expect(res.status, host).toBe(421)
      expect(JSON.parse(res.body)).toMatchObject({ error: { code: 'PERMISSION_DENIED' } })
    }
  })

  it('refuses requests carrying Origin or Sec-Fetch-Site/-Dest (made by a web page)', async () => {
    for (const headers of <Array<Record<string, string>>>[
      { Origin: 'http://evil.example' },
      { Origin: 'null' },
      { 'Sec-Fetch-Site': 'cross-site' },
      { 'Sec-Fetch-Site': 'same-origin' },
      { 'Sec-Fetch-Dest': 'empty' },
    ]) {
      const res = await post(headers)
      expect(res.status, JSON.stringify(headers)).toBe(403)
      expect(JSON.parse(res.body)).toMatchObject({ error: { code: 'PERMISSION_DENIED' } })
    }
    expect((await client().execute('SELECT 2 AS two')).rows).toEqual([{ two: 2 }])
  })
})

describe('private MySQL server', () => {
  const server = () => new URL(inject('mysqlUrl'))

  it('refuses root over TCP without a password', async () => {
    const err = await mysql
      .createConnection({ host: '127.0.0.1', port: Number(server().port), user: 'root' })
      .catch((e: unknown) => e)
    expect(err).toMatchObject({ errno: 1045 })
  })

  it('gives the gateway account no file access: LOAD_FILE is NULL, INTO OUTFILE fails', async () => {
    const conn = await direct()
    try {
      const [rows] = await conn.query("SELECT LOAD_FILE('/etc/passwd') AS f")
      expect(rows).toEqual([{ f: null }])
      const err = await conn
        .query("SELECT 1 INTO OUTFILE '/tmp/edge-auth-outfile-test'")
        .catch((e: unknown) => e)
      expect(err).toMatchObject({ errno: expect.any(Number) })
      const [vars] = await conn.query('SELECT @@local_infile AS li, @@secure_file_priv AS sfp')
      expect(vars).toEqual([{ li: 0, sfp: expect.stringMatching(/\.secure-files\/?$/) }])
    } finally {
      await conn.end()
    }
  })

  it('lets the gateway account see its own database and no other, with no global privilege', async () => {
    const conn = await direct()
    try {
      const [dbs] = await conn.query('SHOW DATABASES')
      const names = (dbs as Array<{ Database: string }>).map((r) => r.Database).sort()
      expect(names).toEqual(['edge_auth_test', 'information_schema'])
      const err = await conn.query('SELECT COUNT(*) FROM mysql.user').catch((e: unknown) => e)
      expect(err).toMatchObject({ errno: 1142 })
      const [grants] = await conn.query('SHOW GRANTS')
      const text = (grants as Array<Record<string, string>>).map((r) => Object.values(r)[0])
      expect(text[0]).toMatch(/^GRANT USAGE ON \*\.\* TO/)
      expect(text.slice(1)).toEqual([
        expect.stringMatching(/^GRANT ALL PRIVILEGES ON `edge_auth_test`\.\*/),
      ])
    } finally {
      await conn.end()
    }
  })
})
