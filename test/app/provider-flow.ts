import { expect, inject } from 'vitest'
import { callApp, cookieFrom, ORIGIN, type Sent } from './helpers'

// Drives a provider's side of a sign-in from the tests, as a browser would: the Worker's start
// answer sends it to the provider, the provider's pages are answered, and the provider's redirect
// back gives the callback path to hand to the Worker.

export const STATE_COOKIE = '__Host-oauth'

/**
 * The providers' configuration: the local OpenID provider and the GitHub stand-in
 * (providers-setup.ts). Only these tests configure providers (the shared Worker has none, as by
 * default), so the requests go through `callApp` with these bindings.
 */
export const PROVIDERS = {
  OIDC_ISSUER: inject('oidcIssuer'),
  OIDC_CLIENT_ID: inject('oidcClientId'),
  OIDC_CLIENT_SECRET: inject('oidcClientSecret'),
  OIDC_NAME: inject('oidcName'),
  GITHUB_URL: inject('githubUrl'),
  GITHUB_CLIENT_ID: inject('githubClientId'),
  GITHUB_CLIENT_SECRET: inject('githubClientSecret'),
  // The stand-in's slow mode waits 4 s: past this, so the timeout test is quick.
  PROVIDER_TIMEOUT_MS: '1500',
}

/** GET through the Worker with the providers configured. */
export function get(path: string, opts: Sent = {}, overrides: Record<string, string> = {}) {
  return callApp(path, { ...PROVIDERS, ...overrides }, opts)
}

/** A form POST through the Worker with the providers configured. */
export function post(path: string, fields: Record<string, string>, opts: Sent = {}) {
  return callApp(path, PROVIDERS, { ...opts, method: 'POST', body: new URLSearchParams(fields) })
}

/** A person of the test's own making at the local OpenID provider (dev/oidc-provider.ts). */
export const oidcPerson = (email: string, name = 'Ada Test', verified = true) =>
  `dyn:${verified ? 1 : 0}:${email}:${name}`

/** `GET /login/provider/:id`: the provider's authorization URL and the state cookie. */
export async function start(id: string, opts: Sent & { next?: string } = {}) {
  const query = opts.next ? `?next=${encodeURIComponent(opts.next)}` : ''
  const res = await get(`/login/provider/${id}${query}`, opts)
  expect(res.status).toBe(302)
  const state = cookieFrom(res, STATE_COOKIE)
  expect(state).toBeDefined()
  return { authorize: new URL(res.headers.get('Location')!), state: state! }
}

/** Follows the local OpenID provider's pages, signing in as `person`; returns the callback path. */
export async function atOidc(authorize: URL, person: string): Promise<string> {
  const jar = new Map<string, string>()
  const cookie = () => [...jar].map(([k, v]) => `${k}=${v}`).join('; ')
  const keep = (res: Response) => {
    for (const header of res.headers.getSetCookie()) {
      const pair = header.split(';')[0]!
      jar.set(pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1))
    }
  }
  const issuer = PROVIDERS.OIDC_ISSUER
  let res = await fetch(authorize, { redirect: 'manual' })
  keep(res)
  const interaction = new URL(res.headers.get('Location')!, issuer)
  res = await fetch(interaction, { headers: { cookie: cookie() } })
  keep(res)
  const page = await res.text()
  const action = /action="([^"]+)"/.exec(page)![1]!
  res = await fetch(new URL(action, issuer), {
    method: 'POST',
    body: new URLSearchParams({ person }),
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: cookie() },
    redirect: 'manual',
  })
  keep(res)
  for (let hop = 0; hop < 5; hop++) {
    const location = new URL(res.headers.get('Location')!, issuer)
    if (location.origin === ORIGIN) return location.pathname + location.search
    res = await fetch(location, { headers: { cookie: cookie() }, redirect: 'manual' })
    keep(res)
  }
  throw new Error('the provider never sent the browser back')
}

/** The GitHub stand-in (dev/github-standin.ts): who signs in and what goes wrong, by the URL. */
export async function atGitHub(
  authorize: URL,
  person: { login: string; id: number; email: string; name?: string; verified?: boolean },
  mode = '',
): Promise<string> {
  const url = new URL(authorize)
  url.searchParams.set('login', person.login)
  url.searchParams.set('standin_id', String(person.id))
  url.searchParams.set('standin_email', person.email)
  url.searchParams.set('standin_name', person.name ?? person.login)
  url.searchParams.set('standin_verified', person.verified === false ? '0' : '1')
  if (mode) url.searchParams.set('standin_mode', mode)
  const res = await fetch(url, { redirect: 'manual' })
  expect(res.status).toBe(302)
  const back = new URL(res.headers.get('Location')!)
  expect(back.origin).toBe(ORIGIN)
  return back.pathname + back.search
}

/** The whole round trip through the local OpenID provider; returns the callback's answer. */
export async function oidcSignIn(person: string, opts: Sent & { next?: string } = {}) {
  const { authorize, state } = await start('oidc', opts)
  const callback = await atOidc(authorize, person)
  const cookie = [opts.cookie, state].filter(Boolean).join('; ')
  return { res: await get(callback, { ...opts, cookie }), callback, state }
}

let githubIds = 1000
/** A GitHub person no other test uses. */
export const githubPerson = (email: string, name?: string) => ({
  login: `octo${++githubIds}${Math.random().toString(36).slice(2, 6)}`,
  id: Math.floor(Math.random() * 1e9) + ++githubIds,
  email,
  name,
})
