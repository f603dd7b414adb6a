// Applies drizzle/ to DATABASE_URL through the PlanetScale driver: npm run db:migrate
// The same command migrates a real PlanetScale branch (https://user:pass@host) or the local gateway,
// and adopts the FastAPI app's database in place (dev/legacy-adopt.ts, dev/legacy-wrap.ts).
import { realpathSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { Client } from '@planetscale/database'
import { drizzle } from 'drizzle-orm/planetscale-serverless'
import { migrate } from 'drizzle-orm/planetscale-serverless/migrator'
import { checkDialect } from './dialect-check'
import { adoptLegacyDatabase } from './legacy-adopt'
import { wrapLegacyDigests } from './legacy-wrap'

export interface MigrateOptions {
  /** bcrypt cost for wrapping legacy SHA-256 digests; default 10, as the app's BCRYPT_COST. */
  bcryptCost?: number
  /** Progress and the adoption report (ids and emails, never a password or hash). */
  log?: (line: string) => void
}

/**
 * Brings the database at `databaseUrl` (the worker's DATABASE_URL) up to date over HTTP: adopts a
 * FastAPI app database first if that is what it holds, applies every migration in `migrationsFolder`
 * newer than the journal's last one with drizzle's planetscale-serverless migrator, then wraps any
 * raw legacy SHA-256 digest left in `users` in bcrypt, and last tries the statements the app's
 * atomic checks rely on, rolled back (dialect-check.ts), failing if the database answers them
 * otherwise. Running it again changes nothing.
 */
export async function migrateDatabase(
  databaseUrl: string,
  migrationsFolder = 'drizzle',
  options: MigrateOptions = {},
): Promise<void> {
  const log = options.log ?? (() => {})
  const client = new Client({ url: databaseUrl })
  await adoptLegacyDatabase(client, migrationsFolder, log)
  await migrate(drizzle({ client }), { migrationsFolder })
  await wrapLegacyDigests(client, options.bcryptCost ?? 10, log)
  await checkDialect(client)
}

function bcryptCostFromEnv(): number {
  const raw = process.env.BCRYPT_COST ?? '10'
  const cost = Number(raw)
  if (!/^\d+$/.test(raw) || cost < 4 || cost > 15) {
    process.stderr.write(`db:migrate: BCRYPT_COST must be a whole number from 4 to 15\n`)
    process.exit(2)
  }
  return cost
}

function describe(databaseUrl: string): string {
  try {
    const url = new URL(databaseUrl)
    return url.host // never the credentials
  } catch {
    return '(unparsable URL)'
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
  const databaseUrl = process.env.DATABASE_URL
  if (!databaseUrl) {
    process.stderr.write(
      'db:migrate: DATABASE_URL is not set.\n' +
        'Set it to the database to migrate, e.g. DATABASE_URL=http://user:pass@127.0.0.1:PORT (local gateway)\n' +
        'or DATABASE_URL=https://user:pass@aws.connect.psdb.cloud (a PlanetScale branch).\n',
    )
    process.exit(2)
  }
  const bcryptCost = bcryptCostFromEnv()
  if (bcryptCost < 10) {
    process.stderr.write(
      `db:migrate: warning: BCRYPT_COST=${bcryptCost} is below 10, which production refuses\n`,
    )
  }
  const log = (line: string) => process.stdout.write(`db:migrate: ${line}\n`)
  migrateDatabase(databaseUrl, 'drizzle', { bcryptCost, log }).then(
    () =>
      process.stdout.write(
        `db:migrate: ${describe(databaseUrl)} is up to date and runs the statements the app relies on\n`,
      ),
    (err: unknown) => {
      process.stderr.write(`db:migrate: ${err instanceof Error ? err.message : String(err)}\n`)
      process.exit(1)
    },
  )
}
