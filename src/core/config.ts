import type { Bindings } from './env'
import { MOUNT_SHAPE } from './http/mount'
import { logEvent } from './security/log'

export type Environment = 'production' | 'development' | 'test'

export interface Config {
  environment: Environment
  production: boolean
  sessionSecret: string
  /** True when no SESSION_SECRET was given and a per-isolate one stands in (development only). */
  sessionSecretIsFallback: boolean
  bcryptCost: number
  passwordMinLength: number
  sessionIdleSeconds: number
  sessionAbsoluteSeconds: number
  /** Every database call gives up after this long and the request answers 503. */
  databaseTimeoutMs: number
  /** Have I Been Pwned range API base URL, or '' when the check is off. */
  pwnedPasswordsUrl: string
  /** The product name every message and page title names. */
  appName: string
  /** The sender address of every message (an address on a domain onboarded to Email Service). */
  mailFrom: string
  /** `off`, `optional` (sign in at once, nudge to verify) or `required` (verify before sign-in). */
  emailVerification: EmailVerification
  /** Lifetime of a password reset link. */
  resetTokenMinutes: number
  /** Front mode: path prefixes whose signed-out visitors are sent to sign in (lower case). */
  protectedPaths: readonly string[]
  /** Where every route lives: '' at the root, or one segment such as `/auth` (MOUNT_PATH). */
  mountPath: string
  /**
   * The authenticator-app key encryption keys, current first; empty when TOTP_ENCRYPTION_KEY is
   * missing or malformed, which `totpKeyProblem` then names (features/two-factor is unavailable).
   */
  totpKeys: TotpKey[]
  totpKeyProblem?: string
}

/** One AES-256-GCM key for authenticator-app keys, with the version stored beside each ciphertext. */
export interface TotpKey {
  version: number
  raw: Uint8Array
}

export type EmailVerification = 'off' | 'optional' | 'required'
const VERIFICATION_MODES: readonly string[] = ['off', 'optional', 'required']
// Outside production a placeholder sender lets `npm run dev` and the tests send with no setup; the
// local binding only writes files.
const DEV_MAIL_FROM = 'no-reply@edge-auth.localhost'
const MAIL_ADDRESS = /^[^\s@<>"]+@[^\s@<>"]+\.[^\s@<>".]+$/

export class ConfigError extends Error {
  override name = 'ConfigError'
}

const ENVIRONMENTS: readonly string[] = ['production', 'development', 'test']
// The placeholder `.dev.vars.example` ships with: copying the example must not make a working secret.
const PLACEHOLDER_SECRET = 'replace-with-at-least-32-random-characters'
// bcryptjs takes about 100 ms of CPU per compare at cost 10 and doubles per step; a login may hash
// and compare once each, so the cost must leave both inside the Worker's CPU limit.
const BCRYPT_MS_AT_COST_10 = 100

const parsed = new WeakMap<Bindings, Config>()
// Random numbers may not be drawn at module scope in workerd, so the development fallback secret is
// made on first use and lives as long as the isolate.
let devSecret: string | undefined

/** An integer variable within `min`..`max`, or `fallback` when unset; throws `ConfigError`. */
export function intVar(
  env: Bindings,
  name: keyof Bindings,
  fallback: number,
  min: number,
  max: number,
) {
  const raw = env[name]
  if (raw === undefined || raw === '') return fallback
  const value = Number(raw)
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(`${name} must be an integer from ${min} to ${max}`)
  }
  return value
}

function randomSecret(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32))
  return btoa(String.fromCharCode(...bytes))
}

/** The highest bcrypt cost whose hash and compare (a login may need both) fit in the CPU limit. */
function maxBcryptCost(cpuLimitMs: number): number {
  let cost = 4
  while (2 * BCRYPT_MS_AT_COST_10 * 2 ** (cost + 1 - 10) <= cpuLimitMs) cost += 1
  return cost
}

const TOTP_ENTRY = /^(?:(\d{1,3}):)?([A-Za-z0-9+/_-]{43}=?)$/

/**
 * TOTP_ENCRYPTION_KEY: `VERSION:BASE64` entries, current first (a bare key is version 1). Rotation
 * (documented in README): put a new version first and keep the older ones while rows use them.
 */
function totpKeys(value: string | undefined): { keys: TotpKey[]; problem?: string } {
  if (!value?.trim()) return { keys: [], problem: 'TOTP_ENCRYPTION_KEY is not set' }
  const keys: TotpKey[] = []
  for (const entry of value.split(',')) {
    const match = TOTP_ENTRY.exec(entry.trim())
    const bytes = match && decodeBase64(match[2]!)
    if (!match || bytes?.length !== 32) {
      return {
        keys: [],
        problem: 'TOTP_ENCRYPTION_KEY must be VERSION:BASE64 entries of 32 random bytes',
      }
    }
    keys.push({ version: Number(match[1] ?? 1), raw: bytes })
  }
  // A version must name one key, or a ciphertext could be opened with the wrong one.
  if (new Set(keys.map((k) => k.version)).size !== keys.length) {
    return { keys: [], problem: 'TOTP_ENCRYPTION_KEY lists one version twice' }
  }
  return { keys }
}

function decodeBase64(text: string): Uint8Array | undefined {
  try {
    const standard = text.replace(/-/g, '+').replace(/_/g, '/')
    return Uint8Array.from(atob(standard.padEnd(44, '=')), (ch) => ch.charCodeAt(0))
  } catch {
    return undefined
  }
}

/** Reads and checks the Worker's configuration once per `env` object; throws `ConfigError`. */
export function getConfig(env: Bindings): Config {
  const cached = parsed.get(env)
  if (cached) return cached
  const environment = env.ENVIRONMENT ?? 'production'
  // Exact names only: a typo such as `prod` must not switch on development fallbacks.
  if (!ENVIRONMENTS.includes(environment)) {
    throw new ConfigError('ENVIRONMENT must be production, development or test')
  }
  const production = environment === 'production'
  if (!env.DATABASE_URL) throw new ConfigError('DATABASE_URL is not set')

  let sessionSecret = env.SESSION_SECRET ?? ''
  const sessionSecretIsFallback = sessionSecret === '' && environment === 'development'
  if (sessionSecretIsFallback) sessionSecret = devSecret ??= randomSecret()
  // Iron (the cookie seal) needs a 32-character password; below that every seal throws.
  if (sessionSecret.length < 32 || sessionSecret === PLACEHOLDER_SECRET) {
    throw new ConfigError('SESSION_SECRET must be at least 32 random characters')
  }

  const cpuLimitMs = intVar(env, 'CPU_LIMIT_MS', 1000, 50, 300_000)
  // OWASP Password Storage Cheat Sheet: bcrypt work factor of at least 10 (ASVS 11.4.2); lower
  // costs only where they are asked for by name, for tests and local development.
  const minCost = production ? 10 : 4
  const maxCost = maxBcryptCost(cpuLimitMs)
  if (maxCost < minCost) {
    throw new ConfigError(`CPU_LIMIT_MS is too small for bcrypt at cost ${minCost}`)
  }
  const bcryptCost = intVar(env, 'BCRYPT_COST', Math.min(10, maxCost), minCost, maxCost)
  const pwned = env.PWNED_PASSWORDS_URL ?? 'https://api.pwnedpasswords.com'
  const mailFrom = env.MAIL_FROM || (production ? '' : DEV_MAIL_FROM)
  if (!MAIL_ADDRESS.test(mailFrom)) {
    throw new ConfigError('MAIL_FROM must be a plain address such as no-reply@example.com')
  }
  const emailVerification = env.EMAIL_VERIFICATION || 'optional'
  if (!VERIFICATION_MODES.includes(emailVerification)) {
    throw new ConfigError('EMAIL_VERIFICATION must be off, optional or required')
  }
  const protectedPaths = (env.PROTECTED_PATHS ?? '')
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)
  const badPrefix = protectedPaths.find((p) => !/^\/[\x21-\x7e]*$/.test(p) || p.includes(','))
  if (badPrefix !== undefined) {
    throw new ConfigError('PROTECTED_PATHS must be comma-separated paths that start with /')
  }
  const mount = (env.MOUNT_PATH ?? '/').trim() || '/'
  if (mount !== '/' && !MOUNT_SHAPE.test(mount)) {
    throw new ConfigError('MOUNT_PATH must be / or one lower-case path segment such as /auth')
  }
  const config: Config = {
    environment: environment as Environment,
    production,
    sessionSecret,
    sessionSecretIsFallback,
    bcryptCost,
    // NIST SP 800-63B-4 3.1.1.2: 15 for single-factor passwords; ASVS 6.2.1 allows 8 at the least.
    passwordMinLength: intVar(env, 'PASSWORD_MIN_LENGTH', 15, 8, 64),
    // ASVS 7.3.1 idle and 7.3.2 absolute timeouts.
    sessionIdleSeconds: intVar(env, 'SESSION_IDLE_SECONDS', 86_400, 60, 31_536_000),
    sessionAbsoluteSeconds: intVar(env, 'SESSION_ABSOLUTE_SECONDS', 2_592_000, 60, 31_536_000),
    databaseTimeoutMs: intVar(env, 'DATABASE_TIMEOUT_MS', 5000, 100, 60_000),
    pwnedPasswordsUrl: pwned === 'off' ? '' : pwned.replace(/\/+$/, ''),
    appName: (env.APP_NAME ?? '').trim() || 'edge-auth',
    mailFrom,
    emailVerification: emailVerification as EmailVerification,
    // OWASP Forgot Password Cheat Sheet: reset links expire soon; 15 to 60 minutes is the norm.
    resetTokenMinutes: intVar(env, 'RESET_TOKEN_MINUTES', 30, 5, 60),
    ...totpConfig(env.TOTP_ENCRYPTION_KEY),
    // Compared lower case, after decoding: protecting too much is safe, too little is not.
    protectedPaths: protectedPaths.map((p) => p.toLowerCase().replace(/\/+$/, '') || '/'),
    mountPath: mount === '/' ? '' : mount,
  }
  parsed.set(env, config)
  return config
}

/**
 * The authenticator-app keys. Without a usable TOTP_ENCRYPTION_KEY only two-factor sign-in is
 * unavailable (its settings page says so; an account that has it gets a 503 page at its second
 * step, never a sign-in without it): the rest of the app serves on. Logged once per isolate, by the
 * setting's name, never its value.
 */
function totpConfig(value: string | undefined) {
  const { keys, problem } = totpKeys(value)
  if (problem) logEvent('error', 'config_totp_key', { message: problem })
  return { totpKeys: keys, totpKeyProblem: problem }
}
