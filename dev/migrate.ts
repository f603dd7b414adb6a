// Applies drizzle/ to DATABASE_URL through the PlanetScale driver: npm run db:migrate
// The same command migrates a real PlanetScale branch (https://user:pass@host) or the local gateway.
import { realpathSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { Client } from '@planetscale/database'
import { drizzle } from 'drizzle-orm/planetscale-serverless'
import { migrate } from 'drizzle-orm/planetscale-serverless/migrator'

/**
 * Applies every migration in `migrationsFolder` newer than the database's last one, using drizzle's
 * planetscale-serverless migrator over HTTP (`databaseUrl` as the worker's DATABASE_URL).
 */
export async function migrateDatabase(
  databaseUrl: string,
  migrationsFolder = 'drizzle',
): Promise<void> {
  const db = drizzle({ client: new Client({ url: databaseUrl }) })
  await migrate(db, { migrationsFolder })
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
  migrateDatabase(databaseUrl).then(
    () => process.stdout.write(`db:migrate: ${describe(databaseUrl)} is up to date\n`),
    (err: unknown) => {
      process.stderr.write(`db:migrate: ${err instanceof Error ? err.message : String(err)}\n`)
      process.exit(1)
    },
  )
}
