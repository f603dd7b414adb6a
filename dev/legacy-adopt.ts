// Adopts the FastAPI app's database in place: its `users` table becomes the app's, its emails are
// normalised where that is safe, and drizzle's journal is started so later migrations apply as usual.
// Every statement goes through the PlanetScale HTTP driver and is SQL that MySQL 8 (Vitess) and
// MariaDB share; no foreign keys.
import type { Client } from '@planetscale/database'
import { readMigrationFiles } from 'drizzle-orm/migrator'
import { hasErrno } from '../src/core/db/client'
import { normaliseEmail } from '../src/core/forms/email'

type Log = (line: string) => void
type Row = Record<string, unknown>

/** What the old app created, plus the column adoption adds (present when a run was interrupted). */
const LEGACY_COLUMNS = ['id', 'username', 'email', 'pass_word']
const ADDED_COLUMNS = ['created_at']
// The app's own limit for an email (src/forms.ts); longer legacy addresses are kept but cannot sign in.
const EMAIL_MAX = 254
const BATCH = 500

async function query(client: Client, sql: string, args?: unknown[]): Promise<Row[]> {
  return (await client.execute(sql, args)).rows as Row[]
}

function idList(rows: Row[]): string {
  return rows.map((row) => String(row.id)).join(', ')
}

/** The database holds the old app's `users` table and no drizzle journal: it needs adopting. */
async function isLegacy(client: Client): Promise<boolean> {
  const tables = (await query(client, 'SHOW TABLES')).map((row) => String(Object.values(row)[0]))
  return tables.includes('users') && !tables.includes('__drizzle_migrations')
}

/** Refuses, naming ids, anything adoption would change or lose instead of keeping. */
async function preflight(client: Client): Promise<string[]> {
  const columns = (await query(client, 'SHOW COLUMNS FROM `users`')).map((row) => String(row.Field))
  const unknown = columns.filter((c) => !LEGACY_COLUMNS.includes(c) && !ADDED_COLUMNS.includes(c))
  const missing = LEGACY_COLUMNS.filter((c) => !columns.includes(c))
  if (unknown.length > 0 || missing.length > 0) {
    throw new Error(
      `users is not the FastAPI app's table (unexpected: ${unknown.join(', ') || 'none'}; ` +
        `missing: ${missing.join(', ') || 'none'}); not adopting it`,
    )
  }
  // BIGINT UNSIGNED cannot hold these, and a non-strict server would clip rather than refuse.
  const badIds = await query(client, 'SELECT id FROM `users` WHERE id < 1 ORDER BY id LIMIT 50')
  if (badIds.length > 0) {
    throw new Error(`users ids below 1 cannot be kept as BIGINT UNSIGNED: ids ${idList(badIds)}`)
  }
  // The columns stay VARCHAR(255); refuse rather than let a non-strict server truncate a wider one.
  const tooLong = await query(
    client,
    'SELECT id FROM `users` WHERE CHAR_LENGTH(username) > 255 OR CHAR_LENGTH(email) > 255 ' +
      'OR CHAR_LENGTH(pass_word) > 255 ORDER BY id LIMIT 50',
  )
  if (tooLong.length > 0) {
    throw new Error(
      `users rows longer than 255 characters would be truncated: ids ${idList(tooLong)}`,
    )
  }
  return columns
}

/**
 * One ALTER to the shape drizzle/0000_init.sql gives `users`, except that `username` and `email`
 * keep the legacy VARCHAR(255) so no row is truncated (the app's forms cap new values at 64 and 254).
 * Converting latin1 or a `_ci` collation to utf8mb4 / utf8mb4_bin loses nothing and cannot create a
 * duplicate (binary comparison tells apart everything a `_ci` one does).
 */
async function alterUsers(client: Client): Promise<void> {
  // Filtered here rather than with SHOW ... WHERE, which Vitess may not pass through.
  const emailIndex = (await query(client, 'SHOW INDEX FROM `users`')).find(
    (row) => row.Column_name === 'email' && Number(row.Non_unique) === 0,
  )
  const indexName = emailIndex ? String(emailIndex.Key_name) : undefined
  const index =
    indexName === 'users_email_unique'
      ? []
      : [
          ...(indexName ? [`DROP INDEX \`${indexName.replace(/`/g, '``')}\``] : []),
          'ADD CONSTRAINT `users_email_unique` UNIQUE (`email`)',
        ]
  await client.execute(
    [
      'ALTER TABLE `users`',
      [
        'MODIFY `id` bigint unsigned NOT NULL AUTO_INCREMENT',
        'MODIFY `username` varchar(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci NOT NULL',
        'MODIFY `email` varchar(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL',
        'MODIFY `pass_word` varchar(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci NOT NULL',
        'ADD COLUMN `created_at` datetime NOT NULL DEFAULT CURRENT_TIMESTAMP',
        ...index,
        'DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci',
      ].join(',\n  '),
    ].join('\n  '),
  )
}

export interface EmailCollision {
  /** The normalised address several accounts share. */
  email: string
  ids: number[]
}

/**
 * Stores every email in the app's normal form (trim, NFC, lower case: normaliseEmail) where no other
 * account normalises to the same address. Accounts that do collide are all kept with their email
 * exactly as registered, and returned so they can be reported; findUserByEmail finds them by the
 * address typed exactly as registered.
 */
export async function normaliseLegacyEmails(
  client: Client,
  log: Log,
): Promise<{ lowered: number; collisions: EmailCollision[] }> {
  const groups = new Map<string, Array<{ id: number; email: string }>>()
  const tooLong: number[] = []
  for (let after = 0; ;) {
    const rows = await query(
      client,
      'SELECT id, email FROM `users` WHERE id > ? ORDER BY id LIMIT ?',
      [after, 5000],
    )
    if (rows.length === 0) break
    for (const row of rows) {
      const user = { id: Number(row.id), email: String(row.email) }
      const key = normaliseEmail(user.email)
      if (key.length > EMAIL_MAX) tooLong.push(user.id)
      groups.set(key, [...(groups.get(key) ?? []), user])
      after = user.id
    }
  }
  const changes: Array<{ id: number; email: string }> = []
  const collisions: EmailCollision[] = []
  for (const [email, users] of groups) {
    if (users.length > 1) collisions.push({ email, ids: users.map((u) => u.id) })
    else if (users[0]!.email !== email) changes.push({ id: users[0]!.id, email })
  }
  for (let i = 0; i < changes.length; i += BATCH) {
    const batch = changes.slice(i, i + BATCH)
    await client.execute(
      `UPDATE \`users\` SET email = CASE ${batch.map(() => 'WHEN id = ? THEN ?').join(' ')} ` +
        'ELSE email END WHERE id IN (?)',
      [...batch.flatMap((c) => [c.id, c.email]), batch.map((c) => c.id)],
    )
  }
  log(`emails: ${changes.length} normalised (trimmed, NFC, lower case), the rest already were`)
  if (collisions.length > 0) {
    log(
      `emails: ${collisions.length} address(es) shared by several accounts after normalisation; ` +
        'kept exactly as registered (each signs in with the email typed as registered):',
    )
    for (const c of collisions) log(`  ${c.email}: ids ${c.ids.join(', ')}`)
  }
  if (tooLong.length > 0) {
    log(
      `emails: longer than ${EMAIL_MAX} characters, kept but refused by the login form: ` +
        `ids ${tooLong.join(', ')}`,
    )
  }
  return { lowered: changes.length, collisions }
}

/**
 * Runs the migrations up to the one that creates `users` (the baseline), minus that CREATE TABLE, and
 * records them in drizzle's journal exactly as drizzle's migrator would (drizzle-orm
 * mysql-core/dialect.js: same table, file SHA-256 as `hash`, the journal's `when` as `created_at`),
 * so the migrator then applies only what comes after. An interrupted run left some baseline objects
 * behind: "already exists" (errno 1050 table, 1061 index) is expected then and skipped.
 */
async function recordBaseline(client: Client, migrationsFolder: string, log: Log): Promise<void> {
  const migrations = readMigrationFiles({ migrationsFolder })
  const createsUsers = /^\s*CREATE TABLE\s+`?users`?\s*\(/i
  const last = migrations.findIndex((m) => m.sql.some((s) => createsUsers.test(s)))
  if (last < 0) throw new Error(`no migration in ${migrationsFolder} creates users`)
  const baseline = migrations.slice(0, last + 1)
  for (const migration of baseline) {
    for (const statement of migration.sql) {
      if (statement.trim() === '' || createsUsers.test(statement)) continue
      try {
        await client.execute(statement)
      } catch (err) {
        if (!hasErrno(err, 1050) && !hasErrno(err, 1061)) throw err
      }
    }
  }
  await client.execute(
    'create table if not exists `__drizzle_migrations` ' +
      '(id serial primary key, hash text not null, created_at bigint)',
  )
  for (const migration of baseline) {
    await client.execute(
      'insert into `__drizzle_migrations` (`hash`, `created_at`) values (?, ?)',
      [migration.hash, migration.folderMillis],
    )
  }
  log(`journal: ${baseline.length} baseline migration(s) recorded; later ones apply normally`)
}

/**
 * When the database holds the FastAPI app's `users` table and no drizzle journal, upgrades it in
 * place (ids and rows kept), normalises emails where no two accounts collide, creates the app's other
 * baseline tables and starts drizzle's journal. Returns false, touching nothing, for any other
 * database. Safe to re-run after an interruption. Password digests are wrapped separately
 * (wrapLegacyDigests), on every migration run.
 */
export async function adoptLegacyDatabase(
  client: Client,
  migrationsFolder: string,
  log: Log,
): Promise<boolean> {
  if (!(await isLegacy(client))) return false
  const columns = await preflight(client)
  const [count] = await query(client, 'SELECT COUNT(*) AS n FROM `users`')
  log(`adopting the FastAPI app's users table (${Number(count?.n)} rows)`)
  if (columns.includes('created_at')) {
    log('users: already altered by an interrupted run')
  } else {
    await alterUsers(client)
    log('users: altered to the app schema; ids kept, username and email stay VARCHAR(255)')
  }
  await normaliseLegacyEmails(client, log)
  await recordBaseline(client, migrationsFolder, log)
  return true
}
