import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Client } from '@planetscale/database'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { inject } from 'vitest'
import { runAdmin, UsageError } from '../../dev/admin'
import { startStack } from '../../dev/stack'

// `npm run admin` reads DATABASE_URL and MYSQL_URL like `npm run dev`; these tests name theirs.
const saved = { DATABASE_URL: process.env.DATABASE_URL, MYSQL_URL: process.env.MYSQL_URL }
beforeAll(() => {
  delete process.env.DATABASE_URL
  delete process.env.MYSQL_URL
})
afterAll(() => Object.assign(process.env, saved))

let counter = 0
async function newUser(client: Client) {
  counter += 1
  const email = `admin-cli-${Date.now().toString(36)}-${counter}@example.com`
  const result = await client.execute(
    "insert into users (username, email, pass_word) values ('Ops', ?, 'x')",
    [email],
  )
  return { email, id: Number(result.insertId) }
}

async function roleOf(client: Client, id: number) {
  const { rows } = await client.execute('select role from users where id = ?', [id])
  return (rows[0] as { role: string }).role
}

describe('npm run admin against DATABASE_URL (the driver, as on a PlanetScale branch)', () => {
  const client = () => new Client({ url: inject('databaseUrl') })
  const opts = () => ({ databaseUrl: inject('databaseUrl') })

  it('grants, lists and revokes; the user sees it in their activity', async () => {
    const { email, id } = await newUser(client())
    expect(await roleOf(client(), id)).toBe('user')
    // The address as typed: normalised as the app stores it.
    expect(await runAdmin(['grant', `  ${email.toUpperCase()} `], opts())).toEqual([
      `${email} is now an admin`,
    ])
    expect(await roleOf(client(), id)).toBe('admin')
    expect(await runAdmin(['grant', email], opts())).toEqual([`${email} is already an admin`])
    expect(await runAdmin(['list'], opts())).toContain(`${id}\t${email}\tOps`)
    expect(await runAdmin(['revoke', email], opts())).toEqual([`${email} is no longer an admin`])
    expect(await roleOf(client(), id)).toBe('user')
    expect((await runAdmin(['list'], opts())).join('\n')).not.toContain(email)
    const { rows } = await client().execute(
      'select kind, browser from security_events where user_id = ? order by id',
      [id],
    )
    expect(rows).toEqual([
      { kind: 'role_grant', browser: 'Command line' },
      { kind: 'role_revoke', browser: 'Command line' },
    ])
  })

  it('refuses an unknown address and a wrong command line', async () => {
    await expect(runAdmin(['grant', 'nobody-here@example.com'], opts())).rejects.toThrow(
      'no account has the address nobody-here@example.com',
    )
    for (const args of [[], ['grant'], ['list', 'x'], ['delete', 'a@b.c'], ['grant', 'a', 'b']]) {
      await expect(runAdmin(args, opts())).rejects.toBeInstanceOf(UsageError)
    }
  })
})

describe('npm run admin with no configuration (the local database of npm run dev)', () => {
  const dataRoot = fileURLToPath(new URL('../../.data', import.meta.url))
  let dataDir: string
  beforeAll(async () => {
    await mkdir(dataRoot, { recursive: true, mode: 0o700 })
    dataDir = await mkdtemp(join(dataRoot, 'test-admin-cli-'))
  })
  afterAll(() => rm(dataDir, { recursive: true, force: true }))

  it('works with the dev server stopped and while it runs', { timeout: 120_000 }, async () => {
    const database = 'edge_auth_admin_cli'
    // Stopped: the command starts the private server (and migrates), then stops it again.
    expect(await runAdmin(['list'], { dataDir, database })).toEqual([])
    // Running, as under `npm run dev`: the command reaches the same server over its socket.
    const stack = await startStack({ dataDir, database })
    try {
      const client = new Client({ url: stack.databaseUrl })
      const { email, id } = await newUser(client)
      const said: string[] = []
      const log = (line: string) => said.push(line)
      expect(await runAdmin(['grant', email], { dataDir, database, log })).toEqual([
        `${email} is now an admin`,
      ])
      expect(said.join('\n')).toContain('using the running private MySQL')
      expect(await roleOf(client, id)).toBe('admin')
      await stack.stop()
      // Stopped again: the grant was kept, and revoking works the same way.
      expect(await runAdmin(['list'], { dataDir, database })).toEqual([`${id}\t${email}\tOps`])
      expect(await runAdmin(['revoke', email], { dataDir, database })).toEqual([
        `${email} is no longer an admin`,
      ])
      expect(await runAdmin(['list'], { dataDir, database })).toEqual([])
    } finally {
      await stack.stop()
    }
  })
})
