import { describe, expect, it } from 'vitest'
import { callApp, get, ORIGIN, PASSWORD, post, uniqueEmail } from './helpers'
import { SELF } from 'cloudflare:test'

const DEAD_DATABASE = 'http://user:pass@127.0.0.1:9'

describe('request guards', () => {
  it('refuses a cross-site form post (CSRF origin check) with a 403 page', async () => {
    const res = await post(
      '/login',
      { email: 'a@example.com', password: PASSWORD },
      {
        headers: { Origin: 'https://evil.example' },
      },
    )
    expect(res.status).toBe(403)
    expect(await res.text()).toContain('This form must be sent from this site.')
  })

  it('refuses a post without an Origin or Sec-Fetch-Site', async () => {
    const res = await SELF.fetch(`${ORIGIN}/login`, {
      method: 'POST',
      body: new URLSearchParams({ email: 'a@example.com', password: PASSWORD }),
    })
    expect(res.status).toBe(403)
  })

  it('refuses JSON bodies, which the origin check would not inspect, with 415', async () => {
    const res = await SELF.fetch(`${ORIGIN}/signup`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Origin: 'https://evil.example' },
      body: JSON.stringify({ username: 'x', email: uniqueEmail(), password: PASSWORD }),
    })
    expect(res.status).toBe(415)
  })

  it('runs no handler for a body sent with a method the form checks do not guard', async () => {
    // The form checks are mounted for POST, PUT, PATCH and DELETE; any other method must reach
    // nothing that reads a body or starts a session.
    for (const method of ['OPTIONS', 'PROPFIND', 'REPORT']) {
      const res = await SELF.fetch(`${ORIGIN}/login`, {
        method,
        headers: { 'Content-Type': 'application/json', Origin: 'https://evil.example' },
        body: JSON.stringify({ email: 'a@example.com', password: PASSWORD }),
      })
      expect(res.status, method).toBe(404)
      expect(res.headers.getSetCookie(), method).toEqual([])
    }
  })

  it('caps form bodies with a 413 page', async () => {
    const res = await post('/signup', {
      username: 'x'.repeat(20_000),
      email: uniqueEmail(),
      password: PASSWORD,
    })
    expect(res.status).toBe(413)
    expect(await res.text()).toContain('That form was too large to accept.')
  })
})

describe('failures', () => {
  it('answers 503 with a friendly page when the database is unreachable', async () => {
    const body = new URLSearchParams({ email: uniqueEmail(), password: PASSWORD })
    const res = await callApp('/login', { DATABASE_URL: DEAD_DATABASE }, { method: 'POST', body })
    expect(res.status).toBe(503)
    expect(res.headers.get('Retry-After')).toBe('30')
    const html = await res.text()
    expect(html).toContain('cannot reach its database')
    expect(html).not.toMatch(/at \w+ \(|Error:|127\.0\.0\.1|select /i)
  })

  it('answers 503 as the #main fragment for htmx', async () => {
    const body = new URLSearchParams({ email: uniqueEmail(), password: PASSWORD })
    const res = await callApp(
      '/login',
      { DATABASE_URL: DEAD_DATABASE },
      { method: 'POST', body, mode: 'htmx' },
    )
    expect(res.status).toBe(503)
    expect(await res.text()).not.toContain('<html')
  })

  it('serves anonymous pages without touching the database', async () => {
    for (const path of ['/', '/signup']) {
      const res = await callApp(path, { DATABASE_URL: DEAD_DATABASE })
      expect(res.status).toBe(200)
    }
  })

  it('refuses to run in production without a SESSION_SECRET of 32 characters', async () => {
    for (const secret of ['', 'too-short']) {
      const res = await callApp('/', {
        ENVIRONMENT: 'production',
        SESSION_SECRET: secret,
        BCRYPT_COST: '10',
      })
      expect(res.status).toBe(500)
      expect(await res.text()).not.toContain('SESSION_SECRET')
    }
  })

  it('refuses a bcrypt cost below 10 in production', async () => {
    const res = await callApp('/', { ENVIRONMENT: 'production', BCRYPT_COST: '9' })
    expect(res.status).toBe(500)
    expect((await callApp('/', { ENVIRONMENT: 'production', BCRYPT_COST: '10' })).status).toBe(200)
  })

  it('runs in development without a secret on localhost only, on a per-isolate random one', async () => {
    const dev = { ENVIRONMENT: 'development', SESSION_SECRET: '' }
    expect((await callApp('/', dev, { url: 'http://localhost:8787/' })).status).toBe(200)
    expect((await callApp('/', dev)).status).toBe(500)
    expect((await callApp('/', { ENVIRONMENT: 'test', SESSION_SECRET: '' })).status).toBe(500)
  })
})
