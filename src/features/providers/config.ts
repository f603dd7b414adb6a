import type { Bindings } from '../../core/env'
import { ConfigError, intVar, type Config } from '../../core/config'
import { isLoopback } from '../../core/http/request'

/** The providers the product knows; each is configured by its own variables (README). */
export type ProviderId = 'github' | 'google' | 'oidc'

export interface Provider {
  id: ProviderId
  /** What the buttons and pages call it: "GitHub", "Google", OIDC_NAME. */
  label: string
  clientId: string
  clientSecret: string
  /** `oidc`: discovery, ID token and userinfo; `github`: OAuth 2.0 and GitHub's REST API. */
  kind: 'oidc' | 'github'
  /** The issuer (oidc) or the web base URL (github: github.com or a GitHub Enterprise Server). */
  base: URL
  /** GitHub's REST API base (api.github.com, or BASE/api/v3 on GitHub Enterprise Server). */
  api?: URL
  /** Plain http: only a loopback address outside production (dev/oidc-provider.ts, tests). */
  insecure: boolean
}

export interface ProviderSettings {
  providers: readonly Provider[]
  /** Each call to a provider gives up after this long (PROVIDER_TIMEOUT_MS). */
  timeoutMs: number
}

const parsed = new WeakMap<Bindings, ProviderSettings>()

function base(name: string, raw: string, config: Config): { url: URL; insecure: boolean } {
  let url: URL
  try {
    url = new URL(raw)
  } catch {
    throw new ConfigError(`${name} must be a URL such as https://example.com`)
  }
  // RFC 9700 2.6 / OAuth 2.1: every provider endpoint over TLS. http is allowed only for a local
  // provider on loopback and never in production (oauth4webapi's allowInsecureRequests).
  const insecure = url.protocol === 'http:'
  if (!(
    url.protocol === 'https:' ||
    (insecure && !config.production && isLoopback(url.hostname))
  )) {
    throw new ConfigError(`${name} must be an https URL (http only on loopback outside production)`)
  }
  if (url.search || url.hash) throw new ConfigError(`${name} must have no query or fragment`)
  return { url, insecure }
}

function pair(env: Bindings, id: string, secret: string): [string, string] | undefined {
  const clientId = (env[id as keyof Bindings] as string | undefined)?.trim() ?? ''
  const clientSecret = (env[secret as keyof Bindings] as string | undefined)?.trim() ?? ''
  if (!clientId && !clientSecret) return undefined
  if (!clientId || !clientSecret) throw new ConfigError(`set both ${id} and ${secret}, or neither`)
  return [clientId, clientSecret]
}

/** The configured providers, in button order, read once per `env`; throws `ConfigError`. */
export function providerSettings(env: Bindings, config: Config): ProviderSettings {
  const cached = parsed.get(env)
  if (cached) return cached
  const providers: Provider[] = []
  const github = pair(env, 'GITHUB_CLIENT_ID', 'GITHUB_CLIENT_SECRET')
  if (github) {
    const given = env.GITHUB_URL?.trim()
    const { url, insecure } = base('GITHUB_URL', given || 'https://github.com', config)
    // GitHub Enterprise Server serves its REST API under /api/v3 of its own host.
    const api = given
      ? new URL(`${url.href.replace(/\/+$/, '')}/api/v3`)
      : new URL('https://api.github.com')
    providers.push({
      id: 'github',
      label: 'GitHub',
      kind: 'github',
      base: url,
      api,
      insecure,
      clientId: github[0],
      clientSecret: github[1],
    })
  }
  const google = pair(env, 'GOOGLE_CLIENT_ID', 'GOOGLE_CLIENT_SECRET')
  if (google) {
    const url = new URL('https://accounts.google.com')
    providers.push({
      id: 'google',
      label: 'Google',
      kind: 'oidc',
      base: url,
      insecure: false,
      clientId: google[0],
      clientSecret: google[1],
    })
  }
  const issuer = env.OIDC_ISSUER?.trim()
  const oidc = pair(env, 'OIDC_CLIENT_ID', 'OIDC_CLIENT_SECRET')
  if (!!issuer !== !!oidc)
    throw new ConfigError('set OIDC_ISSUER with OIDC_CLIENT_ID and OIDC_CLIENT_SECRET')
  if (issuer && oidc) {
    const { url, insecure } = base('OIDC_ISSUER', issuer, config)
    const label = (env.OIDC_NAME ?? '').trim().slice(0, 40) || 'OpenID Connect'
    providers.push({
      id: 'oidc',
      label,
      kind: 'oidc',
      base: url,
      insecure,
      clientId: oidc[0],
      clientSecret: oidc[1],
    })
  }
  const settings = { providers, timeoutMs: intVar(env, 'PROVIDER_TIMEOUT_MS', 5000, 500, 30_000) }
  parsed.set(env, settings)
  return settings
}

export function findProvider(settings: ProviderSettings, id: string): Provider | undefined {
  return settings.providers.find((p) => p.id === id)
}
