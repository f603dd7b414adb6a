import * as oauth from 'oauth4webapi'
import type { Provider, ProviderSettings } from './config'

// The provider's side of a sign-in through oauth4webapi (no dependencies; runs on Workers):
// authorization code with PKCE S256 and state (RFC 9700 2.1.1, RFC 7636), and for OpenID Connect a
// nonce and an ID token checked for its signature against the provider's JWKS, issuer, audience,
// expiry and nonce (OIDC Core 3.1.3.7). Every call has a time limit (PROVIDER_TIMEOUT_MS); no
// provider token outlives the request (nothing is stored).

/** Why a provider step failed, in words for the audit line; the page says it plainly. */
export class ProviderFailure extends Error {
  override name = 'ProviderFailure'
  constructor(
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(reason, options)
  }
}

/** Who the provider says signed in: its stable subject and what it tells of the person. */
export interface Identity {
  subject: string
  email?: string
  /** Only the provider's explicit word that it verified this address (OIDC `email_verified`). */
  emailVerified: boolean
  name?: string
}

const USER_AGENT = 'edge-auth'

function http(provider: Provider, settings: ProviderSettings) {
  return {
    signal: () => AbortSignal.timeout(settings.timeoutMs),
    // Only for an http issuer on loopback outside production (config.ts refuses anything else).
    [oauth.allowInsecureRequests]: provider.insecure,
    headers: { 'user-agent': USER_AGENT },
  }
}

// Discovered metadata, per isolate and issuer: oauth4webapi keeps each server's JWKS beside its
// metadata object, so the keys are fetched once per isolate too (and again on an unknown `kid`).
// Only the answer is kept, never the fetch in flight: workerd finishes a request's I/O for that
// request alone, so a second sign-in awaiting the first one's fetch would fail if the first were
// cancelled. Sign-ins that arrive together before the first answer each fetch it.
const discovered = new Map<string, oauth.AuthorizationServer>()

export async function authorizationServer(
  provider: Provider,
  settings: ProviderSettings,
): Promise<oauth.AuthorizationServer> {
  if (provider.kind === 'github') {
    const base = provider.base.href.replace(/\/+$/, '')
    return {
      issuer: base,
      authorization_endpoint: `${base}/login/oauth/authorize`,
      token_endpoint: `${base}/login/oauth/access_token`,
    }
  }
  const key = provider.base.href
  const known = discovered.get(key)
  if (known) return known
  try {
    const res = await oauth.discoveryRequest(provider.base, {
      ...http(provider, settings),
      algorithm: 'oidc',
    })
    const as = await oauth.processDiscoveryResponse(provider.base, res)
    // oauth4webapi checks only the issuer here, and the browser is sent to this endpoint by our own
    // code: without a TLS one (RFC 9700 2.6), the provider is broken, not this Worker.
    const start = URL.parse(String(as.authorization_endpoint ?? ''))
    if (!(start?.protocol === 'https:' || (provider.insecure && start?.protocol === 'http:')))
      throw new ProviderFailure('discovery_invalid')
    // A failed discovery is tried again by the next sign-in, not remembered.
    discovered.set(key, as)
    return as
  } catch (err) {
    throw new ProviderFailure(failureReason(err, 'discovery'), { cause: err })
  }
}

const client = (provider: Provider): oauth.Client => ({ client_id: provider.clientId })

export interface Started {
  url: URL
  state: string
  nonce: string
  verifier: string
}

/** A fresh state, nonce and PKCE verifier (each 256 bits from the CSPRNG). */
export function freshSecrets() {
  return {
    state: oauth.generateRandomState(),
    nonce: oauth.generateRandomNonce(),
    verifier: oauth.generateRandomCodeVerifier(),
  }
}

/** The provider's authorization URL for a round trip (fresh secrets unless `held` are given). */
export async function authorizationUrl(
  provider: Provider,
  settings: ProviderSettings,
  redirectUri: string,
  held?: { state: string; nonce: string; verifier: string },
): Promise<Started> {
  const as = await authorizationServer(provider, settings)
  const { state, nonce, verifier } = held ?? freshSecrets()
  const url = new URL(as.authorization_endpoint!)
  const params = url.searchParams
  params.set('client_id', provider.clientId)
  params.set('redirect_uri', redirectUri)
  params.set('response_type', 'code')
  params.set('state', state)
  params.set('code_challenge', await oauth.calculatePKCECodeChallenge(verifier))
  params.set('code_challenge_method', 'S256')
  if (provider.kind === 'github') {
    // The primary verified address comes from /user/emails, which needs this scope.
    params.set('scope', 'read:user user:email')
    params.set('allow_signup', 'true')
  } else {
    params.set('scope', 'openid email profile')
    params.set('nonce', nonce)
  }
  return { url, state, nonce, verifier }
}

/**
 * The callback's work with the provider: checks the authorization response against the held state,
 * redeems the code with the PKCE verifier, and reads who signed in. Throws `ProviderFailure`.
 */
export async function redeem(
  provider: Provider,
  settings: ProviderSettings,
  callback: URL,
  redirectUri: string,
  held: { state: string; nonce: string; verifier: string },
): Promise<Identity> {
  const as = await authorizationServer(provider, settings)
  const options = http(provider, settings)
  try {
    const answer = new URL(callback)
    // GitHub publishes no metadata to say which `iss` it sends (RFC 9207); its callback path of its
    // own is the mix-up defence there (RFC 9700 4.4.2: one redirect URI per provider).
    if (provider.kind === 'github') answer.searchParams.delete('iss')
    const params = oauth.validateAuthResponse(as, client(provider), answer, held.state)
    const auth =
      provider.kind === 'github'
        ? oauth.ClientSecretPost(provider.clientSecret)
        : oauth.ClientSecretBasic(provider.clientSecret)
    const res = await oauth.authorizationCodeGrantRequest(
      as,
      client(provider),
      auth,
      params,
      redirectUri,
      held.verifier,
      options,
    )
    if (provider.kind === 'github') return await githubIdentity(provider, as, res, options)
    const tokens = await oauth.processAuthorizationCodeResponse(as, client(provider), res, {
      expectedNonce: held.nonce,
      requireIdToken: true,
    })
    // The ID token's signature, against the provider's published keys (cached per isolate).
    await oauth.validateApplicationLevelSignature(as, res, options)
    const claims = oauth.getValidatedIdTokenClaims(tokens)!
    let info: Record<string, unknown> = claims
    // Many providers (oidc-provider by default) give the address through userinfo only.
    if (typeof claims.email !== 'string' && as.userinfo_endpoint) {
      const answer = await oauth.userInfoRequest(as, client(provider), tokens.access_token, options)
      info = { ...(await oauth.processUserInfoResponse(as, client(provider), claims.sub, answer)) }
    }
    return {
      subject: claims.sub,
      email: typeof info.email === 'string' ? info.email : undefined,
      emailVerified: info.email_verified === true || info.email_verified === 'true',
      name: firstString(info.name, info.preferred_username, info.nickname, info.given_name),
    }
  } catch (err) {
    if (err instanceof ProviderFailure) throw err
    throw new ProviderFailure(failureReason(err, 'token'), { cause: err })
  }
}

async function githubIdentity(
  provider: Provider,
  as: oauth.AuthorizationServer,
  res: Response,
  options: ReturnType<typeof http>,
): Promise<Identity> {
  // GitHub answers a refused code with HTTP 200 and `{"error": …}` (its OAuth docs,
  // "Troubleshooting OAuth app access token request errors"), not the 400 of RFC 6749 5.2.
  if (res.status === 200) {
    const body = (await res
      .clone()
      .json()
      .catch(() => undefined)) as { error?: unknown } | undefined
    if (body && typeof body.error === 'string') throw new ProviderFailure('token_refused')
  }
  const tokens = await oauth.processAuthorizationCodeResponse(as, client(provider), res)
  const get = async (path: string) => {
    const answer = await fetch(`${provider.api!.href.replace(/\/+$/, '')}${path}`, {
      headers: {
        authorization: `Bearer ${tokens.access_token}`,
        accept: 'application/vnd.github+json',
        'user-agent': USER_AGENT,
        'x-github-api-version': '2022-11-28',
      },
      signal: options.signal(),
    })
    if (!answer.ok) throw new ProviderFailure(`api_${answer.status}`)
    return answer.json() as Promise<unknown>
  }
  const [user, emails] = await Promise.all([get('/user'), get('/user/emails')])
  const u = user as { id?: unknown; login?: unknown; name?: unknown }
  if (typeof u.id !== 'number' && typeof u.id !== 'string') throw new ProviderFailure('api_shape')
  // The primary address, and only when GitHub verified it; other addresses are not the person's
  // chosen one, and an unverified primary is no proof of anything.
  const primary = Array.isArray(emails)
    ? (emails as { email?: unknown; primary?: unknown; verified?: unknown }[]).find(
        (e) => e.primary === true && typeof e.email === 'string',
      )
    : undefined
  return {
    subject: String(u.id),
    email: primary?.verified === true ? (primary.email as string) : undefined,
    emailVerified: primary?.verified === true,
    name: firstString(u.name, u.login),
  }
}

function firstString(...values: unknown[]): string | undefined {
  return values.find((v): v is string => typeof v === 'string' && v.trim() !== '')
}

/** A short reason for the audit line, from the error and its causes. */
export function failureReason(err: unknown, step: string): string {
  for (let e = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const name = (e as { name?: string }).name
    if (name === 'TimeoutError' || name === 'AbortError') return `${step}_timeout`
    if (e instanceof ProviderFailure) return e.reason
    if (e instanceof oauth.AuthorizationResponseError) return 'denied'
    if (e instanceof oauth.ResponseBodyError) return `${step}_refused`
    if (e instanceof oauth.OperationProcessingError) {
      const claim = (e.cause as { claim?: string } | undefined)?.claim
      if (claim === 'nonce') return 'nonce'
      if (e.code === oauth.JWT_TIMESTAMP_CHECK) return 'id_token_expired'
      if (claim) return `id_token_${claim}`
      if (e.code === oauth.RESPONSE_IS_NOT_CONFORM) return `${step}_status`
    }
  }
  // What oauth4webapi did not raise itself is the transport's (refused, reset, DNS): workerd's fetch
  // rejects with plain errors whose messages vary.
  const ours =
    err instanceof oauth.OperationProcessingError ||
    err instanceof oauth.UnsupportedOperationError ||
    err instanceof oauth.WWWAuthenticateChallengeError ||
    (err instanceof TypeError && 'code' in err)
  return ours ? `${step}_invalid` : `${step}_unreachable`
}
