import { count, inArray, like } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sessions, users } from '../../src/core/db/schema'
import {
  callApp,
  captureLogs,
  cookieFrom,
  countUsers,
  db,
  PASSWORD,
  SESSION,
  uniqueAddress,
} from './helpers'

const get = (
  path: string,
  opts: { cookie?: string; headers: Record<string, string>; mode?: 'htmx' },
) => callApp(path, {}, opts)
const post = (
  path: string,
  fields: Record<string, string>,
  opts: { cookie?: string; headers: Record<string, string> },
) => callApp(path, {}, { ...opts, method: 'POST', body: new URLSearchParams(fields) })

// Issue 7: a bounded mixed load. 20 clients, each its own address, run the whole flow at once:
// signup, a duplicate signup, a wrong password, then rounds of login, welcome (page and fragment),
// logout and the old cookie refused. Every step has one right answer.
//
// The requests go through callApp (the Worker's own fetch handler with the test bindings, in this
// isolate) rather than SELF.fetch: under vitest-pool-workers every SELF.fetch gets slower as their
// number in one workerd grows (cloudflare/workers-sdk#15446; measured here: 200 GET / took 1.3 s,
// the next 200 took 20 s), which would make 2,000 requests take minutes.
const CLIENTS = 20
const ACCOUNTS_PER_CLIENT = 5
const ROUNDS = 4

interface Step {
  what: string
  expected: number
  status: number
}

let logs: ReturnType<typeof captureLogs>
beforeAll(() => {
  logs = captureLogs()
})
afterAll(() => logs.restore())

async function client(tag: string, index: number, steps: Step[]) {
  const headers = { 'CF-Connecting-IP': uniqueAddress() }
  const record = async (what: string, expected: number, res: Response) => {
    steps.push({ what, expected, status: res.status })
    await res.arrayBuffer()
    return res
  }
  for (let a = 0; a < ACCOUNTS_PER_CLIENT; a++) {
    const email = `${tag}-${index}-${a}@example.com`
    const fields = { username: `Load ${index}.${a}`, email, password: PASSWORD }
    await record('signup', 303, await post('/signup', fields, { headers }))
    if (a === 0) await record('duplicate signup', 409, await post('/signup', fields, { headers }))
    await record(
      'wrong password',
      400,
      await post('/login', { email, password: 'not the password' }, { headers }),
    )
    for (let r = 0; r < ROUNDS; r++) {
      const login = await record('login', 303, await post('/login', fields, { headers }))
      const cookie = cookieFrom(login, SESSION)
      await record('welcome', 200, await get('/welcome', { cookie, headers }))
      await record(
        'welcome fragment',
        200,
        await get('/welcome', { cookie, headers, mode: 'htmx' }),
      )
      await record('logout', 303, await post('/logout', {}, { cookie, headers }))
      await record('welcome after logout', 303, await get('/welcome', { cookie, headers }))
    }
  }
}

describe('mixed load', () => {
  it('about 2,000 requests from 20 concurrent clients: no server error, exact account count', async () => {
    const tag = `load-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`
    const steps: Step[] = []
    await Promise.all(Array.from({ length: CLIENTS }, (_, i) => client(tag, i, steps)))

    // 20 x (5 x (1 signup + 1 wrong + 4 x 5) + 1 duplicate) = 2,140 requests.
    expect(steps.length).toBe(CLIENTS * (ACCOUNTS_PER_CLIENT * (2 + ROUNDS * 5) + 1))
    expect(steps.filter((s) => s.status >= 500)).toEqual([])
    expect(steps.filter((s) => s.status !== s.expected)).toEqual([])
    expect(await countUsers(tag)).toBe(CLIENTS * ACCOUNTS_PER_CLIENT)

    // Every session these clients started was ended by their logouts.
    const ids = db()
      .select({ id: users.id })
      .from(users)
      .where(like(users.email, `${tag}-%`))
    const [left] = await db()
      .select({ n: count() })
      .from(sessions)
      .where(inArray(sessions.userId, ids))
    expect(Number(left?.n)).toBe(0)
    // One audit line per sign-in, and no error logged.
    const audits = logs.lines().filter((l) => l.event === 'audit' && l.action === 'login')
    expect(audits.filter((l) => l.outcome === 'success')).toHaveLength(
      CLIENTS * ACCOUNTS_PER_CLIENT * ROUNDS,
    )
    expect(logs.raw()).not.toContain('"level":"error"')
  }, 60_000)
})
