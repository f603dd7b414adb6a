// The MySQL the app's atomic statements rely on, tried against the database itself at the end of
// every `db:migrate`, in one transaction that is always rolled back. The tests run MariaDB behind
// the local gateway; a PlanetScale branch runs Vitess, which has refused or dropped some of these
// in some versions (LAST_INSERT_ID(expr): vitessio/vitess#6087, #13020). Where one does not hold,
// throttles would refuse every sign-in or sessions would not survive a password change, so the
// migration fails with the statement's name before a deploy, rather than the app after it.
import { randomBytes } from 'node:crypto'
import type { Client, ExecutedQuery, Transaction } from '@planetscale/database'

class RolledBack extends Error {}

interface Probe {
  /** What the app uses it for, as the failure names it. */
  what: string
  sql: string
  args: unknown[]
  /** What the driver must report: the insert id (LAST_INSERT_ID(expr)) or the rows affected. */
  expect: { insertId: string } | { rowsAffected: number }
}

/** The statement shapes of throttle-queries.ts, secret-queries.ts and two-factor/queries.ts. */
function probes(): Probe[] {
  const key = `dialect-check-${randomBytes(16).toString('hex')}`
  const token = `dialect-check-${randomBytes(16).toString('hex')}`
  const reserve = {
    what: 'a throttle reservation (INSERT ... SELECT ... ON DUPLICATE KEY UPDATE, LAST_INSERT_ID(expr))',
    sql: `insert into login_throttles (key_hash, failures, window_started_at, blocked_until)
      select ?, last_insert_id(1), now(), null from one_time_tokens where token_hash = ?
      on duplicate key update login_throttles.failures = last_insert_id(login_throttles.failures + 1)`,
    args: [key, token],
  }
  return [
    {
      what: 'a secret stored under a generation (INSERT ... SELECT ... ON DUPLICATE KEY UPDATE)',
      sql: `insert into one_time_tokens (token_hash, user_id, purpose, created_at, expires_at, failures)
        select ?, 0, 'dialect-check', now(), now(), 0 from dual
        on duplicate key update failures = values(failures)`,
      args: [token],
      expect: { rowsAffected: 1 },
    },
    { ...reserve, expect: { insertId: '1' } },
    { ...reserve, expect: { insertId: '2' } },
    {
      what: 'a counter read back from its UPDATE (LAST_INSERT_ID(expr): credential generation, code tries)',
      sql: 'update login_throttles set failures = last_insert_id(failures + 1) where key_hash = ?',
      args: [key],
      expect: { insertId: '3' },
    },
    {
      what: "an app code's check (multi-table UPDATE with a LEFT JOIN)",
      sql: `update one_time_tokens t join login_throttles th on th.key_hash = ?
        left join users u on u.id = t.user_id
        set t.failures = 5, th.failures = 0, th.blocked_until = null where t.token_hash = ?`,
      args: [key, token],
      expect: { rowsAffected: 2 },
    },
    {
      what: "a recovery code's check (multi-table DELETE with a LEFT JOIN)",
      sql: `delete t, th from one_time_tokens t join login_throttles th on th.key_hash = ?
        left join users u on u.id = t.user_id where t.token_hash = ?`,
      args: [key, token],
      expect: { rowsAffected: 2 },
    },
  ]
}

function mismatch(probe: Probe, result: ExecutedQuery): string | undefined {
  if ('insertId' in probe.expect) {
    const got = result.insertId
    return got === probe.expect.insertId
      ? undefined
      : `insert id ${got}, not ${probe.expect.insertId}`
  }
  const got = result.rowsAffected
  return got === probe.expect.rowsAffected
    ? undefined
    : `${got} rows affected, not ${probe.expect.rowsAffected}`
}

async function run(tx: Transaction, probe: Probe) {
  try {
    return mismatch(probe, await tx.execute(probe.sql, probe.args))
  } catch (err) {
    return err instanceof Error ? err.message.split('\n')[0] : String(err)
  }
}

/**
 * Runs each probe in one transaction and rolls it back. Throws, naming the first statement the
 * database did not run as the app needs, and what it answered instead.
 */
export async function checkDialect(client: Client): Promise<void> {
  let failure: string | undefined
  await client
    .transaction(async (tx) => {
      for (const probe of probes()) {
        const problem = await run(tx, probe)
        if (problem) {
          failure = `the database does not run ${probe.what} as the app needs: ${problem}`
          break
        }
      }
      throw new RolledBack()
    })
    .catch((err: unknown) => {
      if (!(err instanceof RolledBack)) throw err
    })
  if (failure) throw new Error(failure)
}
