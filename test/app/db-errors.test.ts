import { DatabaseError } from '@planetscale/database'
import { sql } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { hasErrno, isDuplicateKey, retryOnDeadlock } from '../../src/core/db/client'
import { users } from '../../src/core/db/schema'
import { db, uniqueEmail } from './helpers'

describe('database error handling', () => {
  it('recognises a real duplicate key through drizzle and the driver', async () => {
    const email = uniqueEmail()
    await db().insert(users).values({ username: 'A', email, pass_word: 'x' })
    const err = await db()
      .insert(users)
      .values({ username: 'B', email, pass_word: 'x' })
      .catch((e: unknown) => e)
    expect(isDuplicateKey(err)).toBe(true)
    expect(hasErrno(err, 1213)).toBe(false)
  })

  it('retries a write InnoDB chose as a deadlock victim, and nothing else', async () => {
    const message = 'Deadlock found (errno 1213) (sqlstate 40001)'
    const deadlock = new Error('wrapped', {
      cause: new DatabaseError(message, 400, { code: 'UNKNOWN', message }),
    })
    let calls = 0
    const result = await retryOnDeadlock(async () => {
      calls += 1
      if (calls < 3) throw deadlock
      return 'written'
    })
    expect(result).toBe('written')
    expect(calls).toBe(3)

    let syntaxCalls = 0
    const syntax = await retryOnDeadlock(() => {
      syntaxCalls += 1
      return db().execute(sql`selec 1`)
    }).catch((e: unknown) => e)
    expect(hasErrno(syntax, 1064)).toBe(true)
    expect(syntaxCalls).toBe(1)
  })

  it('gives up after the last attempt', async () => {
    const message = 'Deadlock found (errno 1213) (sqlstate 40001)'
    const deadlock = new DatabaseError(message, 400, { code: 'UNKNOWN', message })
    let calls = 0
    const err = await retryOnDeadlock(async () => {
      calls += 1
      throw deadlock
    }).catch((e: unknown) => e)
    expect(err).toBe(deadlock)
    expect(calls).toBe(5)
  })

  it('never reads an errno from free text, which carries user input', async () => {
    // drizzle's messages quote the parameters: a username may say anything.
    const err = new Error('Failed query: insert ... params: (errno 1062),x', {
      cause: new Error('(errno 1062) (sqlstate 23000)'),
    })
    expect(isDuplicateKey(err)).toBe(false)
    expect(hasErrno(err, 1213)).toBe(false)
  })
})
