import { createHash, randomBytes } from 'node:crypto'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

// A GitHub-shaped stand-in for the GitHub sign-in path, offline: GET /login/oauth/authorize (no
// consent page: straight back with a code and the state), POST /login/oauth/access_token (client
// secret, single-use code, redirect URI and PKCE S256 checked; refusals as GitHub gives them, HTTP 200
// with `{"error": …}`), and the REST API at /api/v3 (GitHub Enterprise Server's layout: point
// GITHUB_URL here) and at the root: /user and /user/emails.
//
// A test chooses the person and what goes wrong through the authorize URL, so parallel tests share
// nothing: `login` (GitHub's own parameter), `standin_id`, `standin_email`, `standin_verified`
// (1 or 0) and `standin_mode`: `deny` (the person refuses), `token_error` (HTTP 200 error),
// `token_500`, `slow` (the token answer waits `slowMs`), `user_500`, `no_primary` (no primary
// address at all).

export interface GitHubStandInOptions {
  port?: number
  clientId?: string
  clientSecret?: string
  /** How long `standin_mode=slow` makes the token endpoint wait; default 10 s. */
  slowMs?: number
}

export interface GitHubStandIn {
  /** `http://127.0.0.1:PORT`: GITHUB_URL. */
  url: string
  clientId: string
  clientSecret: string
  stop(): Promise<void>
}

interface Grant {
  person: { id: number; login: string; name: string; email: string; verified: boolean }
  mode: string
  redirectUri: string
  challenge: string
}

function json(res: ServerResponse, status: number, body: unknown) {
  const text = JSON.stringify(body)
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8' })
  res.end(text)
}

async function formBody(req: IncomingMessage) {
  let raw = ''
  for await (const chunk of req) raw += String(chunk)
  return new URLSearchParams(raw)
}

const s256 = (verifier: string) => createHash('sha256').update(verifier).digest('base64url')

export async function startGitHubStandIn(
  options: GitHubStandInOptions = {},
): Promise<GitHubStandIn> {
  const clientId = options.clientId ?? 'standin-client'
  const clientSecret = options.clientSecret ?? randomBytes(16).toString('hex')
  const codes = new Map<string, Grant>()
  const tokens = new Map<string, Grant>()
  const sockets = new Set<import('node:net').Socket>()

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://standin')
    const path = url.pathname.replace(/^\/api\/v3/, '')
    void (async () => {
      if (req.method === 'GET' && url.pathname === '/login/oauth/authorize') {
        const q = url.searchParams
        const redirect = q.get('redirect_uri') ?? ''
        if (q.get('client_id') !== clientId || !redirect)
          return json(res, 404, { message: 'Not Found' })
        const back = new URL(redirect)
        const mode = q.get('standin_mode') ?? ''
        if (mode === 'deny') {
          back.searchParams.set('error', 'access_denied')
          back.searchParams.set('error_description', 'The user has denied your application access.')
        } else {
          const login = q.get('login') || 'octocat'
          const code = randomBytes(10).toString('hex')
          codes.set(code, {
            person: {
              id: Number(q.get('standin_id')) || (parseInt(s256(login).slice(0, 6), 36) % 1e8) + 1,
              login,
              name: q.get('standin_name') ?? 'The Octocat',
              email: q.get('standin_email') ?? `${login}@users.github.localhost`,
              verified: q.get('standin_verified') !== '0',
            },
            mode,
            redirectUri: redirect,
            challenge: q.get('code_challenge') ?? '',
          })
          back.searchParams.set('code', code)
        }
        back.searchParams.set('state', q.get('state') ?? '')
        res.writeHead(302, { Location: back.href })
        return res.end()
      }
      if (req.method === 'POST' && url.pathname === '/login/oauth/access_token') {
        const body = await formBody(req)
        const code = body.get('code') ?? ''
        const grant = codes.get(code)
        codes.delete(code) // single use, as GitHub's
        if (grant?.mode === 'slow')
          await new Promise((r) => setTimeout(r, options.slowMs ?? 10_000))
        if (grant?.mode === 'token_500') return json(res, 500, { message: 'Server Error' })
        // GitHub's refusals: HTTP 200 with an error member.
        const refuse = (error: string) =>
          json(res, 200, {
            error,
            error_description: error.replace(/_/g, ' '),
            error_uri: 'https://docs.github.com',
          })
        if (body.get('client_id') !== clientId || body.get('client_secret') !== clientSecret)
          return refuse('incorrect_client_credentials')
        if (!grant || grant.mode === 'token_error') return refuse('bad_verification_code')
        if (body.get('redirect_uri') !== grant.redirectUri) return refuse('redirect_uri_mismatch')
        if (s256(body.get('code_verifier') ?? '') !== grant.challenge)
          return refuse('bad_verification_code')
        const token = `gho_${randomBytes(16).toString('hex')}`
        tokens.set(token, grant)
        return json(res, 200, {
          access_token: token,
          token_type: 'bearer',
          scope: 'read:user,user:email',
        })
      }
      if (req.method === 'GET' && (path === '/user' || path === '/user/emails')) {
        const token = (req.headers.authorization ?? '').replace(/^(Bearer|token) /i, '')
        const grant = tokens.get(token)
        if (!grant) return json(res, 401, { message: 'Bad credentials' })
        if (grant.mode === 'user_500') return json(res, 500, { message: 'Server Error' })
        const { person } = grant
        if (path === '/user')
          return json(res, 200, { id: person.id, login: person.login, name: person.name })
        const primary = {
          email: person.email,
          primary: true,
          verified: person.verified,
          visibility: 'private',
        }
        const other = {
          email: `${person.id}+${person.login}@users.noreply.github.localhost`,
          primary: false,
          verified: true,
          visibility: null,
        }
        return json(res, 200, grant.mode === 'no_primary' ? [other] : [other, primary])
      }
      json(res, 404, { message: 'Not Found' })
    })().catch(() => json(res, 500, { message: 'Server Error' }))
  })
  server.on('connection', (socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    clientId,
    clientSecret,
    stop: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy()
        server.close(() => resolve())
      }),
  }
}
