// npm run bench:statements: MySQL's CPU per statement of the login path, one statement kind at a
// time, sequential, through the real driver and gateway. It says where a login's database work
// goes (issue 16's budget) without the noise of a whole request. Figures are ratios to the
// signed-in page's one read, measured in the same run.
import { readFile } from 'node:fs/promises'
import { randomBytes } from 'node:crypto'
import { createDb } from '../src/core/db/client'
import { findUserByEmail } from '../src/core/db/users'
import { findLiveSession, insertSession, trimUserSessions } from '../src/core/db/sessions'
import { reserveAttempt, settleKeys } from '../src/core/security/throttle-queries'
import { securityEvents } from '../src/features/activity/schema'
import { startBenchStack } from './stack'

const N = Number(process.argv[2] ?? 400)
const stack = await startBenchStack()
const db = createDb(stack.databaseUrl, 10_000)
const ticks = async (pid: number) => {
  const fields = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1]!.split(' ')
  return Number(fields[11]) + Number(fields[12])
}
const hex = () => randomBytes(32).toString('hex')
const WINDOW = { kind: 'window', limit: 1000, windowSeconds: 900, onSuccess: 'forget' } as const

async function measure(name: string, op: (i: number) => Promise<unknown>) {
  for (let i = 0; i < 20; i++) await op(-1 - i)
  const before = await ticks(stack.mysqldPid)
  const t0 = performance.now()
  for (let i = 0; i < N; i++) await op(i)
  const ms = (((await ticks(stack.mysqldPid)) - before) * 10) / N
  return { name, ms, wall: (performance.now() - t0) / N }
}

try {
  await stack.direct.query(
    "INSERT INTO users (username, email, pass_word) VALUES ('Bench', 'bench@example.com', 'x')",
  )
  const [rows] = await stack.direct.query('SELECT id FROM users LIMIT 1')
  const user = (rows as Array<{ id: number }>)[0]!
  const now = new Date()
  const later = new Date(now.getTime() + 86_400_000)
  const session = (idHash: string) => ({
    idHash,
    userId: user.id,
    createdAt: now,
    expiresAt: later,
    userAgent: 'bench',
    location: '',
    generation: 0,
  })
  const live = hex()
  await insertSession(db, session(live))
  const fixedKey = hex()
  const results = []
  results.push(
    await measure('session read (signed-in page)', () =>
      findLiveSession(db, live, new Date(), 2_592_000),
    ),
  )
  results.push(
    await measure('user read by email (+ session count)', () =>
      findUserByEmail(db, 'bench@example.com'),
    ),
  )
  results.push(
    await measure('throttle reserve, new key', () =>
      reserveAttempt(db, { keyHash: hex(), ...WINDOW }, new Date()),
    ),
  )
  results.push(
    await measure('throttle reserve, existing key', () =>
      reserveAttempt(db, { keyHash: fixedKey, ...WINDOW }, new Date()),
    ),
  )
  results.push(await measure('throttle settle, 1 key', () => settleKeys(db, [fixedKey], [])))
  results.push(
    await measure('throttle settle, 3 keys', () => settleKeys(db, [fixedKey, hex()], [hex()])),
  )
  results.push(await measure('session insert', () => insertSession(db, session(hex()))))
  results.push(
    await measure('session insert + trim at the cap', async () => {
      const id = hex()
      await Promise.all([insertSession(db, session(id)), trimUserSessions(db, user.id, 19, id)])
    }),
  )
  const event = {
    userId: user.id,
    kind: 'login',
    outcome: 'success' as const,
    method: 'password',
    reason: '',
    place: 'Lisbon, PT',
    browser: 'Firefox on Linux',
  }
  results.push(
    await measure('activity insert', () =>
      db.insert(securityEvents).values({ ...event, at: new Date() }),
    ),
  )
  const base = results[0]!.ms
  for (const r of results)
    console.log(
      `${r.name.padEnd(40)} ${r.ms.toFixed(3)} ms MySQL CPU  ${(r.ms / base).toFixed(2)}x   wall ${r.wall.toFixed(2)} ms`,
    )
} finally {
  await stack.stop()
}
