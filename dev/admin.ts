// Makes and unmakes admins from the command line: npm run admin -- grant|revoke|list [EMAIL]
// The console (/admin) cannot make or unmake admins (issue 21): only whoever holds the database's
// credentials can. Like db:migrate, DATABASE_URL names the database (a PlanetScale branch); with no
// configuration it is the local database `npm run dev` uses, whether or not the dev server runs.
import { readFile } from 'node:fs/promises'
import { realpathSync } from 'node:fs'
import { dirname, isAbsolute, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Client } from '@planetscale/database'
import mysql from 'mysql2/promise'
import { normaliseEmail } from '../src/core/forms/email'
import { parseMysqlUrl } from './gateway/pool'
import { rootPasswordFile } from './mysql-root'
import { socketPath } from './mysql'
import { startStack } from './stack'

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..')

/** The few statements the commands need, over whichever connection reaches the database. */
interface Sql {
  query(sql: string, params: unknown[]): Promise<Record<string, unknown>[]>
  close(): Promise<void>
}

export interface AdminOptions {
  /** A PlanetScale (or local gateway) URL; default process.env.DATABASE_URL. */
  databaseUrl?: string
  /** A MySQL server to use directly; default process.env.MYSQL_URL (as `npm run dev`). */
  mysqlUrl?: string
  /** The private server's data dir when neither is set; default `.data/mysql`, as `npm run dev`. */
  dataDir?: string
  /** The local database name; default `edge_auth`, as `npm run dev`. */
  database?: string
  log?: (line: string) => void
}

function overDriver(url: string): Sql {
  const client = new Client({ url })
  return {
    query: async (sql, params) => (await client.execute(sql, params)).rows as never,
    close: async () => {},
  }
}

function overMysql(conn: mysql.Connection): Sql {
  return {
    query: async (sql, params) => {
      const [rows] = await conn.query(sql, params)
      return Array.isArray(rows) ? (rows as Record<string, unknown>[]) : []
    },
    close: () => conn.end(),
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/**
 * The database the options name. A private server that `npm run dev` (or anything else) is running
 * on the data dir is reached as root over its Unix socket, with the password kept in the 0700 data
 * dir; a stopped one is started for the command (with the migrations, as `npm run dev` would) and
 * stopped after.
 */
async function connect(opts: AdminOptions): Promise<Sql> {
  const log = opts.log ?? (() => {})
  const databaseUrl = opts.databaseUrl ?? process.env.DATABASE_URL
  if (databaseUrl) return overDriver(databaseUrl)
  const mysqlUrl = opts.mysqlUrl ?? process.env.MYSQL_URL
  const database = opts.database ?? 'edge_auth'
  if (mysqlUrl) {
    const { host, port, user, password, database: named } = parseMysqlUrl(mysqlUrl)
    const conn = await mysql.createConnection({
      host,
      port,
      user,
      password,
      database: named ?? database,
    })
    return overMysql(conn)
  }
  const given = opts.dataDir ?? '.data/mysql'
  const dataDir = isAbsolute(given) ? given : join(REPO_ROOT, given)
  const pid = Number((await readFile(join(dataDir, 'mysqld.pid'), 'utf8').catch(() => '')).trim())
  if (pid > 0 && alive(pid)) {
    const password = (await readFile(rootPasswordFile(dataDir), 'utf8')).trim()
    const conn = await mysql.createConnection({
      socketPath: socketPath(dataDir),
      user: 'root',
      password,
      database,
    })
    log('admin: using the running private MySQL in ' + given)
    return overMysql(conn)
  }
  log('admin: starting the private MySQL in ' + given)
  const stack = await startStack({ dataDir, database })
  const sql = overDriver(stack.databaseUrl)
  return { ...sql, close: () => stack.stop() }
}

/** A line in the user's own activity (features/activity), so they see who changed their role. */
async function recordRoleChange(sql: Sql, userId: number, kind: string) {
  await sql.query(
    'insert into security_events (user_id, at, kind, outcome, browser) values (?, utc_timestamp(), ?, ?, ?)',
    [userId, kind, 'success', 'Command line'],
  )
}

async function setRole(sql: Sql, email: string, role: 'admin' | 'user'): Promise<string> {
  const [user] = await sql.query('select id, role from users where email = ?', [email])
  if (!user) throw new UsageError(`no account has the address ${email}`)
  const id = Number(user['id'])
  if (user['role'] === role)
    return `${email} is already ${role === 'admin' ? 'an admin' : 'no admin'}`
  await sql.query('update users set role = ? where id = ?', [role, id])
  await recordRoleChange(sql, id, role === 'admin' ? 'role_grant' : 'role_revoke')
  // The session read brings the role, so it counts from the user's next request.
  return role === 'admin' ? `${email} is now an admin` : `${email} is no longer an admin`
}

/** A mistake of the person typing: exit code 2 and the message alone. */
export class UsageError extends Error {}

const USAGE = 'usage: npm run admin -- grant EMAIL | revoke EMAIL | list'

/**
 * Runs one command (`grant EMAIL`, `revoke EMAIL`, `list`) against the database the options name
 * and returns what to print: one line per admin for `list` (id, email, username).
 */
export async function runAdmin(args: string[], opts: AdminOptions = {}): Promise<string[]> {
  const [command, raw, ...rest] = args
  const email = raw === undefined ? undefined : normaliseEmail(raw)
  const needsEmail = command === 'grant' || command === 'revoke'
  if (rest.length > 0 || (needsEmail ? !email : command !== 'list' || raw !== undefined)) {
    throw new UsageError(USAGE)
  }
  const sql = await connect(opts)
  try {
    if (command === 'list') {
      const rows = await sql.query(
        "select id, email, username from users where role = 'admin' order by id",
        [],
      )
      return rows.map((r) => `${r['id']}\t${r['email']}\t${r['username']}`)
    }
    return [await setRole(sql, email!, command === 'grant' ? 'admin' : 'user')]
  } finally {
    await sql.close()
  }
}

function isMain(): boolean {
  const entry = process.argv[1]
  if (!entry) return false
  try {
    return realpathSync(entry) === realpathSync(fileURLToPath(import.meta.url))
  } catch {
    return false
  }
}

if (isMain()) {
  const log = (line: string) => process.stderr.write(`${line}\n`)
  runAdmin(process.argv.slice(2), { log }).then(
    (lines) => {
      if (lines.length === 0 && process.argv[2] === 'list') log('admin: no admins yet')
      for (const line of lines) process.stdout.write(`${line}\n`)
    },
    (err: unknown) => {
      process.stderr.write(`admin: ${err instanceof Error ? err.message : String(err)}\n`)
      process.exit(err instanceof UsageError ? 2 : 1)
    },
  )
}
