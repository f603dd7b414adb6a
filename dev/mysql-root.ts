import { randomBytes } from 'node:crypto'
import { chmod, readFile, rename, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import mysql from 'mysql2/promise'

/** Where the private server's root password lives: inside the 0700 data dir, itself 0600. */
export function rootPasswordFile(dataDir: string): string {
  return join(dataDir, 'root-password')
}

/** Connection settings for root over the server's Unix socket (root has no TCP account). */
export interface RootLogin {
  socketPath: string
  user: 'root'
  password: string
}

const ACCESS_DENIED = new Set([1045, 1698])

function denied(err: unknown): boolean {
  return ACCESS_DENIED.has((err as { errno?: number }).errno ?? 0)
}

async function canLogin(socketPath: string, password: string): Promise<boolean> {
  try {
    const conn = await mysql.createConnection({ socketPath, user: 'root', password })
    await conn.end()
    return true
  } catch (err) {
    if (denied(err)) return false
    throw err
  }
}

async function writeSecret(file: string, secret: string): Promise<void> {
  const staging = `${file}.${process.pid}`
  await writeFile(staging, `${secret}\n`, { mode: 0o600 })
  await chmod(staging, 0o600)
  await rename(staging, file)
}

/**
 * Makes sure root of a private server has a generated password (kept in `root-password`, 0600) and
 * no TCP accounts, and returns the socket login. A data dir from an older run (passwordless root,
 * root@127.0.0.1 and root@::1) is migrated in place. ASVS 5.0 13.2.3: no default or blank
 * credentials for back-end services; 13.3.1: the secret stays in the data dir, off every command line.
 */
export async function secureRoot(
  dataDir: string,
  socketPath: string,
  log: (line: string) => void,
): Promise<RootLogin> {
  const file = rootPasswordFile(dataDir)
  const saved = (await readFile(file, 'utf8').catch(() => '')).trim()
  if (saved && (await canLogin(socketPath, saved))) {
    await dropTcpRoot({ socketPath, user: 'root', password: saved })
    return { socketPath, user: 'root', password: saved }
  }
  if (!(await canLogin(socketPath, ''))) {
    throw new Error(
      `root of ${dataDir} accepts neither the password in ${file} nor none: ` +
        `delete ${dataDir} to recreate the private database`,
    )
  }
  const password = randomBytes(24).toString('base64url')
  // Written before the server learns it: an interruption leaves a file that does not work yet, and the
  // next run falls back to the passwordless login above and tries again.
  await writeSecret(file, password)
  const conn = await mysql.createConnection({ socketPath, user: 'root', password: '' })
  try {
    await conn.query('ALTER USER root@localhost IDENTIFIED BY ?', [password])
  } finally {
    await conn.end()
  }
  await dropTcpRoot({ socketPath, user: 'root', password })
  log(`mysql: root of ${dataDir} now has a generated password (${file})`)
  return { socketPath, user: 'root', password }
}

// install-db creates root@127.0.0.1, root@::1 and root@<hostname> with no password: drop them, so root
// is reachable only through the socket inside the 0700 data dir.
async function dropTcpRoot(login: RootLogin): Promise<void> {
  const conn = await mysql.createConnection(login)
  try {
    const [rows] = await conn.query(
      "SELECT User AS user, Host AS host FROM mysql.user WHERE (User = 'root' AND Host <> 'localhost') OR User = ''",
    )
    for (const { user, host } of rows as Array<{ user: string; host: string }>)
      await conn.query('DROP USER ?@?', [user, host])
  } finally {
    await conn.end()
  }
}
