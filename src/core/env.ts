import type { Config } from './config'
import type { Database } from './db/client'
import type { Feature } from './feature'
import type { LiveSession } from './sessions/sessions'

/** Every binding and secret the Worker reads. Documented for operators in `.dev.vars.example`. */
export interface Bindings {
  /** `https://USER:PASSWORD@HOST` of the PlanetScale database (locally: the dev gateway). Secret. */
  DATABASE_URL: string
  /** Seals the session cookie; at least 32 characters. Secret; required outside local development. */
  SESSION_SECRET?: string
  /** Exactly `production` (default, from wrangler.toml), `development` or `test`. */
  ENVIRONMENT?: string
  /** bcrypt cost factor; default 10, below 10 refused in production. */
  BCRYPT_COST?: string
  /** Minimum password length in code points; default 15, at least 8. */
  PASSWORD_MIN_LENGTH?: string
  /** Idle session timeout in seconds; default 86400 (24 hours). */
  SESSION_IDLE_SECONDS?: string
  /** Absolute session lifetime in seconds; default 2592000 (30 days). */
  SESSION_ABSOLUTE_SECONDS?: string
  /** Keep equal to `[limits] cpu_ms` in wrangler.toml: BCRYPT_COST must fit inside it. Default 1000. */
  CPU_LIMIT_MS?: string
  /** Every database call gives up after this many milliseconds (503 page); default 5000. */
  DATABASE_TIMEOUT_MS?: string
  /** Have I Been Pwned range API; default https://api.pwnedpasswords.com, `off` to skip the check. */
  PWNED_PASSWORDS_URL?: string
  /** Cloudflare Email Service (`[[send_email]] name = "EMAIL"`); simulated by wrangler dev. */
  EMAIL: SendEmail
  /** The product name messages and pages show; default `edge-auth`. */
  APP_NAME?: string
  /** Sender address of every message; required in production (a domain onboarded to Email Service). */
  MAIL_FROM?: string
  /** `off`, `optional` (default) or `required`: whether an address must be confirmed to sign in. */
  EMAIL_VERIFICATION?: string
  /** Minutes a password reset link stays valid; default 30, 5 to 60. */
  RESET_TOKEN_MINUTES?: string
  /**
   * Encrypts authenticator-app keys (AES-256-GCM): `VERSION:BASE64` entries (32 random bytes each),
   * the first one current, separated by commas; a bare base64 key is version 1. Secret; without it
   * two-factor sign-in cannot be turned on.
   */
  TOTP_ENCRYPTION_KEY?: string
  /**
   * Front mode: the team's own Worker (`[[services]] binding = "APP"`). When bound, every request
   * that is not one of the product's routes is forwarded to it with the signed-in user in headers.
   */
  APP?: Fetcher
  /** Front mode: path prefixes, comma-separated, that send signed-out visitors to sign in. */
  PROTECTED_PATHS?: string
  /** `/` (default) or one segment such as `/auth`: every page, form and link of the product under it. */
  MOUNT_PATH?: string
  /** Sign in with GitHub (features/providers): the OAuth app's client id and secret (secret). */
  GITHUB_CLIENT_ID?: string
  GITHUB_CLIENT_SECRET?: string
  /** A GitHub Enterprise Server's base URL (its API at BASE/api/v3); default https://github.com. */
  GITHUB_URL?: string
  /** Sign in with Google (discovery at https://accounts.google.com): client id and secret (secret). */
  GOOGLE_CLIENT_ID?: string
  GOOGLE_CLIENT_SECRET?: string
  /** A generic OpenID Connect provider by issuer URL (discovery), its client id and secret (secret). */
  OIDC_ISSUER?: string
  OIDC_CLIENT_ID?: string
  OIDC_CLIENT_SECRET?: string
  /** What the button calls the OpenID Connect provider; default `OpenID Connect`. */
  OIDC_NAME?: string
  /** Every call to a sign-in provider gives up after this many milliseconds; default 5000. */
  PROVIDER_TIMEOUT_MS?: string
  /** The static assets (`[assets] binding`), served by the Worker under MOUNT_PATH. */
  ASSETS?: Fetcher
}

export interface Variables {
  config: Config
  db: Database
  /** The signed-in user's session, set by `withSession` when a live session cookie was sent. */
  auth: LiveSession | null
  /** The one list of capabilities (src/features.ts), for what walks them all: account deletion. */
  features: readonly Feature[]
}

export interface AppEnv {
  Bindings: Bindings
  Variables: Variables
}
