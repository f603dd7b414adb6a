import { afterEach, describe, expect, it } from 'vitest'
import type { Stack } from '../../dev/stack'
import { migrateDatabase } from '../../dev/migrate'
import { LEGACY_USERS, createLegacyDatabase, direct, gatewayFor, legacyDigest } from './legacy'

type Rows = Array<Record<string, unknown>>

async function select(database: string, sql: string, args: unknown[] = []): Promise<Rows> {
  const conn = await direct(database)
  try {
    return (await conn.query(sql, args))[0] as Rows
  } finally {
    await conn.end()
  }
}

async function migrate(stack: Stack): Promise<string[]> {
  const lines: string[] = []
  await migrateDatabase(stack.databaseUrl, undefined, { bcryptCost: 4, log: (l) => lines.push(l) })
  return lines
}

const stacks: Stack[] = []
async function legacy(database: string, collation: string, users = LEGACY_USERS) {
  await createLegacyDatabase(database, collation, users)
  const stack = await gatewayFor(database)
  stacks.push(stack)
  return stack
}
afterEach(async () => {
  for (const stack of stacks.splice(0)) await stack.stop()
})

describe('db:migrate on other legacy databases', () => {
  it('under a case-insensitive default (MySQL 8, MariaDB) the old UNIQUE already refused case twins', async () => {
    const users = LEGACY_USERS.filter((u) => u.id !== 2)
    const stack = await legacy('legacy_ci', 'utf8mb4_unicode_ci', users)
    const twin = select(
      'legacy_ci',
      "INSERT INTO users (username, email, pass_word) VALUES ('ann', 'ann@x.io', ?)",
      [legacyDigest('x')],
    )
    await expect(twin).rejects.toMatchObject({ errno: 1062 })
    const lines = await migrate(stack)
    expect(lines.join('\n')).not.toContain('shared by several accounts')
    const emails = await select('legacy_ci', 'SELECT id, email FROM users ORDER BY id')
    expect(emails).toEqual(users.map((u) => ({ id: u.id, email: normalised(u.email) })))
  })

  it('refuses a users table the old app did not create, and changes nothing', async () => {
    const stack = await legacy('legacy_extra', 'utf8mb4_bin')
    await select('legacy_extra', 'ALTER TABLE users ADD COLUMN phone VARCHAR(20)')
    const before = await select('legacy_extra', 'SELECT * FROM users ORDER BY id')
    await expect(migrate(stack)).rejects.toThrow(/not the FastAPI app's table \(unexpected: phone/)
    expect(await select('legacy_extra', 'SELECT * FROM users ORDER BY id')).toEqual(before)
    expect(await select('legacy_extra', "SHOW TABLES LIKE '__drizzle_migrations'")).toEqual([])
  })

  it('finishes an adoption interrupted after the ALTER and part of the baseline', async () => {
    const stack = await legacy('legacy_resume', 'utf8mb4_bin')
    await migrate(stack)
    const done = {
      users: await select('legacy_resume', 'SELECT * FROM users ORDER BY id'),
      sessions: await select('legacy_resume', 'SHOW CREATE TABLE sessions'),
      journal: await select('legacy_resume', 'SELECT hash, created_at FROM __drizzle_migrations'),
    }
    // The state a crash between the baseline's statements leaves: no journal, later tables absent,
    // and nothing yet of the migrations after the baseline (0001 onwards).
    for (const statement of [
      'DROP TABLE __drizzle_migrations',
      'DROP TABLE login_throttles',
      'DROP TABLE one_time_tokens',
      'DROP TABLE recovery_codes',
      'DROP TABLE security_events',
      'DROP TABLE passkeys',
      'DROP TABLE passkey_spent_challenges',
      'DROP TABLE oauth_accounts',
      'ALTER TABLE users DROP COLUMN email_verified_at, DROP COLUMN credential_generation, DROP COLUMN failed_sign_ins, DROP COLUMN totp_key, DROP COLUMN totp_last_step, DROP COLUMN role, DROP COLUMN locked_at, DROP COLUMN locked_until, DROP COLUMN lock_reason',
      'ALTER TABLE sessions DROP COLUMN last_seen_at, DROP COLUMN user_agent, DROP COLUMN location, DROP COLUMN generation',
      'DROP INDEX sessions_expires_at_idx ON sessions',
      'DROP INDEX sessions_user_created_idx ON sessions',
      'CREATE INDEX sessions_user_id_idx ON sessions (user_id)',
    ]) {
      await select('legacy_resume', statement)
    }
    const lines = await migrate(stack)
    expect(lines).toContain('users: already altered by an interrupted run')
    expect(await select('legacy_resume', 'SELECT * FROM users ORDER BY id')).toEqual(done.users)
    expect(await select('legacy_resume', 'SHOW CREATE TABLE sessions')).toEqual(done.sessions)
    expect(
      await select('legacy_resume', 'SELECT hash, created_at FROM __drizzle_migrations'),
    ).toEqual(done.journal)
    expect(await select('legacy_resume', "SHOW TABLES LIKE 'login_throttles'")).toHaveLength(1)
  })

  it('migrates an empty database without adopting anything, then is a no-op', async () => {
    const stack = await gatewayFor('app_fresh')
    stacks.push(stack)
    const first = await migrate(stack)
    expect(first).toEqual([])
    expect(await migrate(stack)).toEqual([])
  })
})

function normalised(email: string): string {
  return email.trim().normalize('NFC').toLowerCase()
}
