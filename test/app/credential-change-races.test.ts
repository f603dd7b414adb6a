import bcrypt from 'bcryptjs'
import { sql } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import type { Transaction } from '../../src/core/db/client'
import { sessions, users } from '../../src/core/db/schema'
import { cookieFrom, db, FLASH, get, PASSWORD, post, SESSION, signedIn, userIdOf } from './helpers'

// A password change (or "sign out everywhere else") that passed its re-check while a lock or a
// reset was being written must not undo it. The users row is held while the other change is
// written, so the request's update waits on it and runs right after the commit.
const NEW = 'a different long passphrase'
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

async function raceAgainst(
  send: () => Promise<Response>,
  id: number,
  write: (tx: Transaction) => Promise<unknown>,
) {
  let sending: Promise<Response> | undefined
  await db().transaction(async (tx) => {
    await tx.execute(sql`select id from ${users} where id = ${id} for update`)
    sending = send()
    await sleep(1500) // through its re-check (bcrypt), waiting on the row
    await write(tx)
  })
  return sending!
}

// What the console's lock and a reset write: the credential generation moves on, sessions end.
const lock = (id: number) => async (tx: Transaction) => {
  await tx.execute(sql`update users set locked_at = utc_timestamp(), lock_reason = 'abuse',
    credential_generation = credential_generation + 1 where id = ${id}`)
  await tx.execute(sql`delete from sessions where user_id = ${id}`)
}
const reset = (id: number, hash: string) => async (tx: Transaction) => {
  await tx.execute(sql`update users set pass_word = ${hash},
    credential_generation = credential_generation + 1 where id = ${id}`)
  await tx.execute(sql`delete from sessions where user_id = ${id}`)
}

describe('a credential change that waited behind another', () => {
  it('a password change after a lock committed changes nothing and signs out', async () => {
    const { email, cookie } = await signedIn()
    const id = await userIdOf(email)
    const change = () =>
      post('/account/password', { current_password: PASSWORD, new_password: NEW }, { cookie })
    const res = await raceAgainst(change, id, lock(id))
    expect(res.status).toBe(303)
    expect(res.headers.get('Location')).toBe('/')
    expect(cookieFrom(res, SESSION) ?? '').not.toMatch(/^__Host-session=.+/)
    const told = await get('/', { cookie: cookieFrom(res, FLASH) })
    expect(await told.text()).toContain('Your account changed while this was being saved')
    expect((await get('/account', { cookie })).status).toBe(303)
  })

  it('a password change after a reset committed leaves the owner’s new password', async () => {
    const { email, cookie } = await signedIn()
    const id = await userIdOf(email)
    const owners = 'the owner chose this after a reset'
    const change = () =>
      post('/account/password', { current_password: PASSWORD, new_password: NEW }, { cookie })
    const res = await raceAgainst(change, id, reset(id, bcrypt.hashSync(owners, 4)))
    expect(res.headers.get('Location')).toBe('/')
    expect((await post('/login', { email, password: NEW })).status).toBe(400)
    expect((await post('/login', { email, password: owners })).status).toBe(303)
  })

  it('"sign out everywhere else" after a reset keeps no session', async () => {
    const { email, cookie } = await signedIn()
    const id = await userIdOf(email)
    const others = () => post('/account/sessions/others', { password: PASSWORD }, { cookie })
    const res = await raceAgainst(others, id, reset(id, bcrypt.hashSync('whatever it is now', 4)))
    expect(res.headers.get('Location')).toBe('/')
    expect((await get('/account', { cookie })).status).toBe(303)
  })
})

describe('the sessions list', () => {
  it('leaves out a session row made under an older generation, which never loads', async () => {
    const { email, cookie } = await signedIn()
    const id = await userIdOf(email)
    // What a sign-in that raced a reset leaves behind: a row under the generation before it.
    const now = new Date()
    await db()
      .insert(sessions)
      .values({
        idHash: 'f'.repeat(60) + String(id).padStart(4, '0').slice(-4),
        userId: id,
        createdAt: now,
        expiresAt: new Date(now.getTime() + 3600_000),
        userAgent: 'Dead Browser',
        generation: 0,
      })
    await db()
      .update(users)
      .set({ credentialGeneration: 1 })
      .where(sql`id = ${id}`)
    await db()
      .update(sessions)
      .set({ generation: 1 })
      .where(sql`user_id = ${id} and user_agent <> 'Dead Browser'`)
    const page = await (await get('/account/sessions', { cookie })).text()
    expect(page).not.toContain('Dead Browser')
    expect(page.match(/<li class="session/g)).toHaveLength(1)
  })
})
