import { createHash } from 'node:crypto'
import { cp, mkdtemp, readFile, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import mysql from 'mysql2/promise'
import { inject } from 'vitest'
import { startStack, type Stack } from '../../dev/stack'

export const DRIZZLE = fileURLToPath(new URL('../../drizzle', import.meta.url))

/** The FastAPI app's table, exactly as it created it. */
export const LEGACY_CREATE_TABLE = `CREATE TABLE users (
    id INT AUTO_INCREMENT PRIMARY KEY,
    username VARCHAR(255) NOT NULL,
    email VARCHAR(255) NOT NULL UNIQUE,
    pass_word VARCHAR(255) NOT NULL
)`

export interface LegacyUser {
  id: number
  username: string
  /** As registered in the old app, and as the person types it. */
  email: string
  password: string
  /** The email as the adopted database should hold it. */
  storedAfter: string
}

// ids with gaps; mixed case; `Ann@X.io` and `ann@x.io` collide once lower-cased; a decomposed ë that
// NFC composes; a non-ASCII password; a password past bcrypt's 72 bytes; a 255-character username.
export const LEGACY_USERS: LegacyUser[] = [
  {
    id: 1,
    username: 'Ann',
    email: 'Ann@X.io',
    password: 'first ann passphrase',
    storedAfter: 'Ann@X.io',
  },
  {
    id: 2,
    username: 'ann',
    email: 'ann@x.io',
    password: 'second ann passphrase',
    storedAfter: 'ann@x.io',
  },
  {
    id: 5,
    username: 'Bob',
    email: 'Bob@Example.COM',
    password: 'Pässwörd für Bob 🔑 日本語',
    storedAfter: 'bob@example.com',
  },
  {
    id: 9,
    username: 'Ç'.repeat(255),
    email: 'carol@example.com',
    password: 'ü'.repeat(40),
    storedAfter: 'carol@example.com',
  },
  {
    id: 1000,
    username: 'Zoë',
    email: 'Zoe\u0308@Example.com',
    password: 'short',
    storedAfter: 'zo\u00eb@example.com',
  },
]

/** Lowercase hex SHA-256 of the raw UTF-8 password: what the old app stored. */
export function legacyDigest(password: string): string {
  return createHash('sha256').update(password, 'utf8').digest('hex')
}

/** A direct connection to the private server (the observer beside the gateway). */
export function direct(database?: string): Promise<mysql.Connection> {
  const url = new URL(inject('mysqlServerUrl'))
  if (database) url.pathname = `/${database}`
  return mysql.createConnection({
    uri: url.toString(),
    timezone: 'Z',
    charset: 'UTF8MB4_UNICODE_CI',
  })
}

/**
 * Creates `database` with `collation` as its default, then the old app's table and rows in it, as
 * the old app would have left them.
 */
export async function createLegacyDatabase(
  database: string,
  collation: string,
  users: LegacyUser[] = LEGACY_USERS,
): Promise<void> {
  const conn = await direct()
  try {
    await conn.query(`DROP DATABASE IF EXISTS \`${database}\``)
    await conn.query(`CREATE DATABASE \`${database}\` CHARACTER SET utf8mb4 COLLATE ${collation}`)
    await conn.query(`USE \`${database}\``)
    await conn.query(LEGACY_CREATE_TABLE)
    for (const user of users) {
      await conn.query('INSERT INTO users (id, username, email, pass_word) VALUES (?, ?, ?, ?)', [
        user.id,
        user.username,
        user.email,
        legacyDigest(user.password),
      ])
    }
  } finally {
    await conn.end()
  }
}

/** The gateway over `database` on the project's server, without running migrations. */
export function gatewayFor(database: string): Promise<Stack> {
  return startStack({ mysqlUrl: inject('mysqlServerUrl'), database, migrate: false })
}

/** A temp copy of drizzle/ plus one throw-away migration dated after the last real one. */
export async function migrationsWithExtra(tag: string, statement: string): Promise<string> {
  const folder = await mkdtemp(join(tmpdir(), 'edge-auth-migrations-'))
  await cp(DRIZZLE, folder, { recursive: true })
  const journalPath = join(folder, 'meta', '_journal.json')
  const journal = JSON.parse(await readFile(journalPath, 'utf8')) as {
    entries: Array<{
      idx: number
      version: string
      when: number
      tag: string
      breakpoints: boolean
    }>
  }
  const last = journal.entries[journal.entries.length - 1]!
  journal.entries.push({ ...last, idx: last.idx + 1, when: last.when + 1000, tag })
  await writeFile(journalPath, JSON.stringify(journal, null, 2))
  await writeFile(join(folder, `${tag}.sql`), statement)
  return folder
}
