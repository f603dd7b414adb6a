import type { Bindings } from './env'

export interface Config {
  production: boolean
  sessionSecret: string
  bcryptCost: number
  passwordMinLength: number
  sessionIdleSeconds: number
  sessionAbsoluteSeconds: number
}

export class ConfigError extends Error {
  override name = 'ConfigError'
}

const parsed = new WeakMap<Bindings, Config>()
// Random numbers may not be drawn at module scope in workerd, so the development fallback secret is
// made on first use and lives as long as the isolate.
let devSecret: string | undefined

function intVar(env: Bindings, name: keyof Bindings, fallback: number, min: number, max: number) {
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

/** Reads and checks the Worker's configuration once per `env` object; throws `ConfigError`. */
export function getConfig(env: Bindings): Config {
  const cached = parsed.get(env)
  if (cached) return cached
  const production = (env.ENVIRONMENT ?? 'production') === 'production'
  if (!env.DATABASE_URL) throw new ConfigError('DATABASE_URL is not set')

  let sessionSecret = env.SESSION_SECRET ?? ''
  if (sessionSecret.length === 0 && !production) sessionSecret = devSecret ??= randomSecret()
  // Iron (the cookie seal) needs a 32-character password; below that every seal throws.
  if (sessionSecret.length < 32)
    throw new ConfigError('SESSION_SECRET must be at least 32 characters')

  // OWASP Password Storage Cheat Sheet: bcrypt work factor of at least 10 (ASVS 11.4.2).
  const bcryptCost = intVar(env, 'BCRYPT_COST', 10, production ? 10 : 4, 15)
  const config: Config = {
    production,
    sessionSecret,
    bcryptCost,
    // NIST SP 800-63B-4 3.1.1.2: 15 for single-factor passwords; ASVS 6.2.1 allows 8 at the least.
    passwordMinLength: intVar(env, 'PASSWORD_MIN_LENGTH', 15, 8, 64),
    // ASVS 7.3.1 idle and 7.3.2 absolute timeouts.
    sessionIdleSeconds: intVar(env, 'SESSION_IDLE_SECONDS', 86_400, 60, 31_536_000),
    sessionAbsoluteSeconds: intVar(env, 'SESSION_ABSOLUTE_SECONDS', 2_592_000, 60, 31_536_000),
  }
  parsed.set(env, config)
  return config
}
