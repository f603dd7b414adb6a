import { randomBytes } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { bundleWorker, REPO_ROOT } from '../../bench/bundle'
import { selfSignedCertificate } from '../../bench/tls'
import { startWorkerd, type RunningWorkerd } from '../../bench/workerd'
import { readWranglerSettings } from '../../bench/wrangler-config'
import type { Stack } from '../../dev/stack'
import { startTestStack } from '../test-stack'
import { httpsRequest } from './https-client'

// The bundle `wrangler deploy` would upload, in workerd, with wrangler.toml's production vars, over
// real TLS: the __Host- cookie and the production config checks run as they do when deployed.
let outdir: string
let stack: Stack
let workerd: RunningWorkerd
let origin: string
let ca: string

beforeAll(async () => {
  outdir = await mkdtemp(join(tmpdir(), 'edge-auth-prod-'))
  const [bundle, settings, cert, started] = await Promise.all([
    bundleWorker(outdir),
    readWranglerSettings(join(REPO_ROOT, 'wrangler.toml')),
    selfSignedCertificate(),
    startTestStack('prod', 'edge_auth_prod'),
  ])
  stack = started
  ca = cert.certificate
  workerd = await startWorkerd([
    {
      name: 'app',
      bundle,
      compatibilityDate: settings.compatibilityDate,
      compatibilityFlags: settings.compatibilityFlags,
      sendEmail: settings.sendEmail,
      vars: {
        ...settings.vars,
        ENVIRONMENT: 'production',
        DATABASE_URL: stack.databaseUrl,
        SESSION_SECRET: randomBytes(32).toString('base64url'),
        MAIL_FROM: 'no-reply@edge-auth.test',
        PWNED_PASSWORDS_URL: stack.pwnedPasswordsUrl,
      },
      tls: cert,
    },
  ])
  origin = workerd.urls.app!
})

afterAll(async () => {
  await workerd?.stop()
  await stack?.stop()
  if (outdir) await rm(outdir, { recursive: true, force: true })
})

const get = (path: string, cookie?: string) =>
  httpsRequest(`${origin}${path}`, ca, { headers: cookie ? { Cookie: cookie } : {} })

const post = (path: string, fields: Record<string, string>, cookie?: string) =>
  httpsRequest(`${origin}${path}`, ca, {
    method: 'POST',
    headers: {
      Origin: origin,
      'Content-Type': 'application/x-www-form-urlencoded',
      ...(cookie ? { Cookie: cookie } : {}),
    },
    body: new URLSearchParams(fields).toString(),
  })

const SESSION = '__Host-session'
const sessionHeader = (setCookies: string[]) => setCookies.find((h) => h.startsWith(`${SESSION}=`))

describe('the deploy bundle in workerd, production config, over https', () => {
  it('serves the sign-in page without touching cookies', async () => {
    const res = await get('/')
    expect(res.status, workerd.logTail()).toBe(200)
    expect(res.headers['content-type']).toMatch(/text\/html/)
    expect(res.body).toMatch(/<form[^>]+action="\/login"/)
    expect(res.setCookies).toEqual([])
  })

  it('walks signup, login, welcome and logout with a __Host- session cookie', async () => {
    const tag = randomBytes(4).toString('hex')
    const username = `Smoke${tag}`
    const email = `prod-smoke-${tag}@example.com`
    const password = `violet tunnel ${randomBytes(6).toString('hex')} harbour`

    const signup = await post('/signup', { username, email, password })
    expect(signup.status, signup.body).toBe(303)

    const login = await post('/login', { email, password })
    expect(login.status, login.body).toBe(303)
    expect(login.headers.location).toMatch(/\/welcome$/)
    const header = sessionHeader(login.setCookies)
    expect(header, 'login sets the __Host-session cookie').toBeDefined()
    const attributes = header!.split(';').map((a) => a.trim().toLowerCase())
    expect(attributes).toContain('secure')
    expect(attributes).toContain('httponly')
    expect(attributes).toContain('samesite=lax')
    expect(attributes).toContain('path=/')
    expect(attributes.some((a) => a.startsWith('domain='))).toBe(false)
    expect(login.setCookies.filter((h) => h.startsWith(`${SESSION}=`))).toHaveLength(1)
    const cookie = header!.split(';')[0]!

    const welcome = await get('/welcome', cookie)
    expect(welcome.status).toBe(200)
    expect(welcome.body).toContain(username)
    expect(welcome.headers['cache-control']).toMatch(/no-store/)

    const logout = await post('/logout', {}, cookie)
    expect(logout.status).toBe(303)
    const expired = sessionHeader(logout.setCookies)
    expect(expired, 'logout expires the cookie').toMatch(/max-age=0|expires=thu, 01 jan 1970/i)

    // The copied cookie is dead on the server too, not just in this client.
    const replay = await get('/welcome', cookie)
    expect(replay.status).not.toBe(200)
    expect(replay.body).not.toContain(username)
  })

  it('refuses a form post from another origin', async () => {
    const res = await httpsRequest(`${origin}/login`, ca, {
      method: 'POST',
      headers: {
        Origin: 'https://evil.example',
        'Content-Type': 'application/x-www-form-urlencoded',
      },
      body: 'email=a%40example.com&password=x',
    })
    expect(res.status).toBe(403)
  })
})
