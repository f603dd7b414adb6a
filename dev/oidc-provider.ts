/// <reference path="./oidc-provider-module.d.ts" />
import { generateKeyPairSync, randomBytes } from 'node:crypto'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import Provider, { type KoaContextWithOIDC } from 'oidc-provider'

// A real OpenID provider for development and tests: `oidc-provider` (a certified implementation of
// OpenID Connect), as a process of the dev stack, so "Continue with Dev OIDC" works offline with no
// configuration. One static confidential client, PKCE required, a sign-in page listing a few test
// people that signs in with one click (plain forms: no JavaScript needed), and consent granted
// automatically. Node only (never in the Worker); it prints a warning on Node 20, where it works.

/** A test person the sign-in page offers. */
export interface DevPerson {
  id: string
  name: string
  email: string
  emailVerified: boolean
}

export const DEV_PEOPLE: readonly DevPerson[] = [
  { id: 'ada', name: 'Ada Lovelace', email: 'ada@dev-oidc.localhost', emailVerified: true },
  { id: 'grace', name: 'Grace Hopper', email: 'grace@dev-oidc.localhost', emailVerified: true },
  {
    id: 'linus',
    name: 'Linus (unverified)',
    email: 'linus@dev-oidc.localhost',
    emailVerified: false,
  },
]

export const DEV_OIDC_CLIENT_ID = 'edge-auth-dev'
export const DEV_OIDC_NAME = 'Dev OIDC'

export interface DevOidcOptions {
  /** 0 (default) picks a free port. Binds 127.0.0.1 only. */
  port?: number
  /** The Worker's callback URLs (exact matches, RFC 9700 2.1); or later, `setRedirectUris`. */
  redirectUris?: string[]
  /** Default: a fresh random secret. */
  clientSecret?: string
  /** People beyond DEV_PEOPLE. */
  people?: readonly DevPerson[]
  /**
   * Tests only: the sign-in form also takes `person=dyn:VERIFIED:EMAIL:NAME` (VERIFIED 1 or 0), a
   * person of the test's own making, so each test has addresses nobody else uses.
   */
  dynamicPeople?: boolean
}

export interface DevOidc {
  /** `http://127.0.0.1:PORT`: OIDC_ISSUER. */
  issuer: string
  clientId: string
  clientSecret: string
  /** Sets the callback URLs; only before the first request (the client is built then). */
  setRedirectUris(uris: string[]): void
  stop(): Promise<void>
}

const escape = (text: string) =>
  text.replace(
    /[&<>"']/g,
    (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[ch]!,
  )

function page(res: ServerResponse, status: number, body: string) {
  const html = `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Dev OIDC · sign in</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:32rem;margin:2rem auto;padding:0 1rem}button{display:block;width:100%;margin:.5rem 0;padding:.6rem;font:inherit;text-align:left}</style></head>
<body><main>${body}</main></body></html>`
  res.writeHead(status, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' })
  res.end(html)
}

async function formBody(req: IncomingMessage): Promise<URLSearchParams> {
  let raw = ''
  for await (const chunk of req) {
    raw += String(chunk)
    if (raw.length > 10_000) break
  }
  return new URLSearchParams(raw)
}

/** Starts the local OpenID provider; resolves once it listens. */
export async function startDevOidc(options: DevOidcOptions): Promise<DevOidc> {
  const people = new Map<string, DevPerson>(
    [...DEV_PEOPLE, ...(options.people ?? [])].map((p) => [p.id, p]),
  )
  const clientSecret = options.clientSecret ?? randomBytes(24).toString('base64url')
  let handler: ((req: IncomingMessage, res: ServerResponse) => void) | undefined
  const server = createServer((req, res) => {
    if (!handler) return page(res, 503, '<p>Starting.</p>')
    handler(req, res)
  })
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve))
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
  const jwk = { ...privateKey.export({ format: 'jwk' }), kid: 'dev', alg: 'RS256', use: 'sig' }

  let redirectUris = [...(options.redirectUris ?? [])]
  const build = () =>
    new Provider(issuer, {
      clients: [
        {
          client_id: DEV_OIDC_CLIENT_ID,
          client_secret: clientSecret,
          redirect_uris: redirectUris,
          grant_types: ['authorization_code'],
          response_types: ['code'],
          token_endpoint_auth_method: 'client_secret_basic',
        },
      ],
      jwks: { keys: [jwk as never] },
      cookies: { keys: [randomBytes(32).toString('base64url')] },
      pkce: { required: () => true },
      features: { devInteractions: { enabled: false } },
      claims: {
        openid: ['sub'],
        email: ['email', 'email_verified'],
        profile: ['name', 'preferred_username'],
      },
      async findAccount(_ctx: unknown, id: string) {
        const person = people.get(id)
        if (!person) return undefined
        return {
          accountId: id,
          claims: () => ({
            sub: id,
            email: person.email,
            email_verified: person.emailVerified,
            name: person.name,
            preferred_username: id,
          }),
        }
      },
      // Consent is granted at once: this provider only ever serves the one local client.
      async loadExistingGrant(ctx: KoaContextWithOIDC) {
        const accountId = ctx.oidc.session?.accountId
        if (!accountId || !ctx.oidc.client) return undefined
        const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client.clientId, accountId })
        grant.addOIDCScope('openid email profile')
        await grant.save()
        return grant
      },
      interactions: {
        url: (_ctx: unknown, interaction: { uid: string }) => `/interaction/${interaction.uid}`,
      },
      ttl: {
        Interaction: 600,
        Session: 600,
        Grant: 600,
        AuthorizationCode: 60,
        AccessToken: 300,
        IdToken: 300,
      },
    })
  // Built on the first request, so the redirect URIs can be set once the Worker's port is known.
  let provider: Provider | undefined
  let oidc: ReturnType<Provider['callback']> | undefined

  handler = (req, res) => {
    provider ??= build()
    oidc ??= provider.callback()
    const match = /^\/interaction\/([\w-]+)(\/login)?$/.exec(
      new URL(req.url ?? '/', issuer).pathname,
    )
    if (!match) return oidc!(req, res)
    void (async () => {
      try {
        const details = await provider!.interactionDetails(req, res)
        if (req.method === 'POST' && match[2]) {
          const body = await formBody(req)
          const id = body.get('person') ?? ''
          if (options.dynamicPeople && id.startsWith('dyn:')) {
            const [, verified, email = '', name = ''] = id.split(':')
            people.set(id, { id, name, email, emailVerified: verified === '1' })
          }
          if (!people.has(id)) return page(res, 400, '<p>Choose one of the people.</p>')
          await provider!.interactionFinished(
            req,
            res,
            { login: { accountId: id } },
            {
              mergeWithLastSubmission: false,
            },
          )
          return
        }
        const buttons = [...people.values()]
          .map(
            (p) =>
              `<button type="submit" name="person" value="${escape(p.id)}">${escape(p.name)} · ${escape(p.email)}${p.emailVerified ? '' : ' (address not verified)'}</button>`,
          )
          .join('')
        page(
          res,
          200,
          `<h1>Dev OIDC</h1><p>A local OpenID provider for development. Sign in as:</p>
<form method="post" action="/interaction/${escape(details.uid)}/login">${buttons}</form>`,
        )
      } catch {
        page(res, 400, '<h1>Dev OIDC</h1><p>This sign-in has expired. Start again.</p>')
      }
    })()
  }

  return {
    issuer,
    clientId: DEV_OIDC_CLIENT_ID,
    clientSecret,
    setRedirectUris: (uris) => {
      if (provider) throw new Error('the dev OIDC provider has already started serving')
      redirectUris = [...uris]
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
