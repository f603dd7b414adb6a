import { rm } from 'node:fs/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Stack } from '../../dev/stack'
import { migrateDatabase } from '../../dev/migrate'
import { hashPassword, verifyPassword } from '../../src/core/passwords/hash'
import { createDb } from '../../src/core/db/client'
import { findUserByEmail, insertUser, rehashPassword } from '../../src/core/db/users'
import { normaliseEmail } from '../../src/core/forms/email'
import {
  DRIZZLE,
  LEGACY_USERS,
  createLegacyDatabase,
  direct,
  gatewayFor,
  legacyDigest,
  migrationsWithExtra,
} from './legacy'

const COST = 4
const RAW_DIGEST = /^[0-9a-f]{64}$/
const WRONG = 'not the password at all'

type Rows = Array<Record<string, unknown>>

async function select(database: string, sql: string): Promise<Rows> {
  const conn = await direct(database)
  try {
    return (await conn.query(sql))[0] as Rows
  } finally {
    await conn.end()
  }
}

/** Runs db:migrate as the command does, returning what it printed. */
async function migrate(stack: Stack, folder = DRIZZLE): Promise<string[]> {
  const lines: string[] = []
  await migrateDatabase(stack.databaseUrl, folder, { bcryptCost: COST, log: (l) => lines.push(l) })
  return lines
}

const lookup = (stack: Stack, typed: string) =>
  findUserByEmail(createDb(stack.databaseUrl), normaliseEmail(typed), typed)

describe('db:migrate on the FastAPI app database (legacy table under utf8mb4_bin)', () => {
  // A `_bin` default lets the legacy UNIQUE accept `Ann@X.io` beside `ann@x.io`: a real collision.
  const database = 'legacy_bin'
  const reference = 'fresh_reference'
  let stack: Stack
  let fresh: Stack
  let firstRun: string[] = []

  beforeAll(async () => {
    await createLegacyDatabase(database, 'utf8mb4_bin')
    stack = await gatewayFor(database)
    fresh = await gatewayFor(reference)
    await migrate(fresh)
  })
  afterAll(async () => {
    await stack?.stop()
    await fresh?.stop()
  })

  it('verifies raw digests before migrating (a database adopted by hand), refusing wrong ones', async () => {
    // The legacy table lacks the app's later columns: read the row as the old app would.
    const rows = await select(database, 'SELECT id, email, pass_word FROM users')
    for (const user of LEGACY_USERS) {
      const row = rows.find((r) => r.email === user.email)
      const found = row && { id: row.id, passwordHash: row.pass_word as string }
      expect(found?.id).toBe(user.id)
      expect(found?.passwordHash).toBe(legacyDigest(user.password))
      expect(await verifyPassword(WRONG, found?.passwordHash, COST)).toEqual({
        ok: false,
        needsRehash: false,
      })
      const check = await verifyPassword(user.password, found?.passwordHash, COST)
      expect(check.ok).toBe(true)
    }
  })

  it('adopts in place: every row and id kept, emails normalised, the collision reported', async () => {
    firstRun = await migrate(stack)
    const rows = await select(database, 'SELECT id, username, email FROM users ORDER BY id')
    expect(rows).toEqual(
      LEGACY_USERS.map((u) => ({ id: u.id, username: u.username, email: u.storedAfter })),
    )
    expect((rows[3]!.username as string).length).toBe(255)
    const report = firstRun.join('\n')
    expect(report).toContain('adopting the FastAPI app')
    expect(report).toMatch(/emails: 2 normalised/)
    expect(report).toContain('  ann@x.io: ids 1, 2')
    expect(report).toContain('passwords: wrapped 5/5')
    for (const user of LEGACY_USERS) {
      expect(report).not.toContain(user.password)
      expect(report).not.toContain(legacyDigest(user.password))
    }
  })

  it('leaves no raw SHA-256 digest: each is wrapped in bcrypt at the configured cost', async () => {
    const raw = await select(
      database,
      "SELECT id FROM users WHERE pass_word REGEXP '^[0-9a-f]{64}$'",
    )
    expect(raw).toEqual([])
    const hashes = await select(database, 'SELECT pass_word FROM users')
    for (const { pass_word } of hashes) expect(pass_word).toMatch(/^sha256-bcrypt:\$2b\$04\$/)
  })

  it('gives the database the schema and journal a fresh one has', async () => {
    const columns = await select(
      database,
      "SELECT COLUMN_NAME AS name, COLUMN_TYPE AS type, COLLATION_NAME AS collation, EXTRA AS extra, COLUMN_DEFAULT AS dflt FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'users' ORDER BY ORDINAL_POSITION",
    )
    const want = await select(
      reference,
      "SELECT COLUMN_NAME AS name, COLUMN_TYPE AS type, COLLATION_NAME AS collation, EXTRA AS extra, COLUMN_DEFAULT AS dflt FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'users' ORDER BY ORDINAL_POSITION",
    )
    // Identical but for the two widths kept so no legacy value is truncated.
    const widened = want.map((c) =>
      c.name === 'username' || c.name === 'email' ? { ...c, type: 'varchar(255)' } : c,
    )
    expect(columns).toEqual(widened)
    for (const table of ['users', 'sessions', 'login_throttles']) {
      const sql = `SELECT INDEX_NAME AS k, NON_UNIQUE AS u, COLUMN_NAME AS c FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = '${table}' ORDER BY k, c`
      expect(await select(database, sql)).toEqual(await select(reference, sql))
    }
    for (const table of ['sessions', 'login_throttles']) {
      const [adopted] = await select(database, `SHOW CREATE TABLE ${table}`)
      const [created] = await select(reference, `SHOW CREATE TABLE ${table}`)
      expect(adopted).toEqual(created)
    }
    const journal = 'SELECT hash, created_at FROM __drizzle_migrations ORDER BY created_at'
    const adoptedJournal = await select(database, journal)
    expect(adoptedJournal.length).toBeGreaterThan(0)
    expect(adoptedJournal).toEqual(await select(reference, journal))
  })

  it('changes nothing when run again', async () => {
    const snapshot = 'SELECT * FROM users ORDER BY id'
    const journal = 'SELECT * FROM __drizzle_migrations ORDER BY id'
    const before = [await select(database, snapshot), await select(database, journal)]
    expect(await migrate(stack)).toEqual([])
    expect([await select(database, snapshot), await select(database, journal)]).toEqual(before)
  })

  it('lets each user sign in with the old password, then holds plain bcrypt', async () => {
    const db = createDb(stack.databaseUrl)
    for (const user of LEGACY_USERS) {
      const found = await lookup(stack, user.email)
      expect(found?.id).toBe(user.id)
      expect(await verifyPassword(WRONG, found?.passwordHash, COST)).toEqual({
        ok: false,
        needsRehash: false,
      })
      const overBcrypt = new TextEncoder().encode(user.password).length > 72
      const check = await verifyPassword(user.password, found?.passwordHash, COST)
      // Plain bcrypt cannot hold a password past 72 bytes: that user stays on the wrapped form.
      expect(check).toEqual({ ok: true, needsRehash: !overBcrypt })
      if (check.needsRehash) {
        // What the login route does with needsRehash.
        await rehashPassword(db, user.id, found!.passwordHash, hashPassword(user.password, COST))
      }
      const after = await lookup(stack, user.email)
      expect(after?.passwordHash).toMatch(overBcrypt ? /^sha256-bcrypt:\$2b\$/ : /^\$2b\$04\$/)
      expect(await verifyPassword(user.password, after?.passwordHash, COST)).toEqual({
        ok: true,
        needsRehash: false,
      })
      expect((await verifyPassword(WRONG, after?.passwordHash, COST)).ok).toBe(false)
    }
  })

  it('finds colliding accounts by the email typed as registered, the normal form otherwise', async () => {
    expect((await lookup(stack, 'Ann@X.io'))?.id).toBe(1)
    expect((await lookup(stack, '  Ann@X.io '))?.id).toBe(1)
    expect((await lookup(stack, 'ann@x.io'))?.id).toBe(2)
    // Any other spelling normalises to ann@x.io, which is account 2's stored address.
    expect((await lookup(stack, 'ANN@X.IO'))?.id).toBe(2)
    expect((await lookup(stack, 'BOB@example.com'))?.id).toBe(5)
    expect(await lookup(stack, 'nobody@x.io')).toBeUndefined()
  })

  it('applies a later migration normally after adoption, once', async () => {
    const folder = await migrationsWithExtra(
      '9999_extra',
      'ALTER TABLE `users` ADD `nickname` varchar(32);',
    )
    try {
      const count = 'SELECT COUNT(*) AS n FROM __drizzle_migrations'
      const [before] = await select(database, count)
      await migrate(stack, folder)
      const nickname = "SHOW COLUMNS FROM users LIKE 'nickname'"
      expect(await select(database, nickname)).toHaveLength(1)
      expect(await select(database, count)).toEqual([{ n: Number(before!.n) + 1 }])
      await migrate(stack, folder)
      expect(await select(database, count)).toEqual([{ n: Number(before!.n) + 1 }])
    } finally {
      await rm(folder, { recursive: true, force: true })
    }
  })

  it('continues the ids after the largest legacy one', async () => {
    const id = await insertUser(createDb(stack.databaseUrl), {
      username: 'New',
      email: 'new@example.com',
      passwordHash: hashPassword('a brand new passphrase', COST),
    })
    expect(id).toBeGreaterThan(1000)
  })

  it('wraps only the digests left raw when run again (resumable)', async () => {
    const before = await select(database, 'SELECT id, pass_word FROM users ORDER BY id')
    const conn = await direct(database)
    await conn.query('UPDATE users SET pass_word = ? WHERE id = 9', [legacyDigest('ü'.repeat(40))])
    await conn.end()
    const lines = await migrate(stack)
    expect(lines).toContain('passwords: wrapped 1/1')
    const after = await select(database, 'SELECT id, pass_word FROM users ORDER BY id')
    expect(after.filter((r) => r.id !== 9)).toEqual(before.filter((r) => r.id !== 9))
    const nine = after.find((r) => r.id === 9)!.pass_word as string
    expect(nine).toMatch(/^sha256-bcrypt:/)
    expect(nine).not.toMatch(RAW_DIGEST)
    expect((await verifyPassword('ü'.repeat(40), nine, COST)).ok).toBe(true)
  })
})
