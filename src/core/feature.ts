import type { SQL } from 'drizzle-orm'
import type { Context } from 'hono'
import type { Hono } from 'hono/tiny'
import type { Database, Transaction } from './db/client'
import type { AppEnv } from './env'
import type { LiveSession } from './sessions/sessions'

/** A link a feature adds to the account page, in the order of the feature list. */
export interface AccountLink {
  href: string
  label: string
  /** The label for an account without a password, where it differs (setting a first one). */
  labelWithoutPassword?: string
  /** Shown to admins only (the console's link); the console refuses everyone else anyway. */
  forAdmins?: boolean
}

/** A link to another way of signing in, on the sign-in and signup pages ("Continue with GitHub"). */
export interface SignInLink {
  href: string
  label: string
}

/**
 * One audited event of a known user, as `audit` (core/http/audit.ts) hands it to `recordEvent`
 * after the answer: only the fixed vocabulary of the audit call and the place and browser in
 * words, never an address, a token or an email.
 */
export interface SecurityEvent {
  userId: number
  at: Date
  action: string
  outcome: 'success' | 'failure' | 'throttled'
  method: string
  reason: string
  /** City and country as Cloudflare names them (what the session list shows), or ''. */
  place: string
  /** "Firefox on Windows" (core/http/user-agent.ts), never the raw User-Agent. */
  browser: string
}

/**
 * What a capability under `src/features/<name>/` offers the assembly, through its `index.ts`: the
 * only public face of the folder. `src/features.ts` lists them; `src/index.tsx` mounts their
 * routes, account deletion runs their `deleteUserRows` and the cron their `purge`.
 */
export interface Feature {
  name: string
  /** Its routes, with their full paths; mounted at `/` in the order of the list. */
  routes?: Hono<AppEnv>
  /**
   * Deletes every row of this feature that belongs to the user, inside the deletion's transaction
   * (ASVS 7.4.2: nothing of a deleted account may outlive it).
   */
  deleteUserRows?: (tx: Transaction, userId: number) => Promise<unknown>
  /** Deletes what has expired; the counts name what went, for the cron's log line. */
  purge?: (db: Database, now: Date) => Promise<Record<string, number>>
  /** Links on the account page. */
  accountLinks?: readonly AccountLink[]
  /**
   * Other ways to sign in, linked from the sign-in and signup pages (core/ui/sign-in-links.tsx);
   * read from configuration, never the database, as those pages cost no statement.
   */
  signInLinks?: (c: Context<AppEnv>) => readonly SignInLink[]
  /**
   * A second factor's check for sudo mode (core/signin/reauth.ts): true when `code` (the form's
   * `second_factor` field) is a right, unused code of the signed-in account, spending it. Several
   * features may offer one; reauth asks each in turn, so a check answers false, without a
   * statement, for what is not shaped like its own factor.
   */
  checkSecondFactor?: (c: Context<AppEnv>, auth: LiveSession, code: string) => Promise<boolean>
  /**
   * The second factors this feature keeps, for the admin console's user page: a label and a count
   * correlated to `users.id` (a subquery or a column test), never a secret.
   */
  factorCounts?: readonly { label: string; count: SQL<number> }[]
  /**
   * The ways into the account this feature keeps (passkeys, connected providers): a count
   * correlated to `users.id`. `countWaysIn` (core/signin/ways-in.ts) adds them to the password, so
   * no feature lets the owner remove the last way in.
   */
  waysIn?: SQL<number>
  /**
   * Removes the ways in this feature keeps for the user (passkeys, connected identities), when the
   * owner of an address that was never confirmed takes the account (core/lifecycle.ts
   * `forgetCredentials`): whoever set them had not proved the inbox. Second factors stay: the
   * inbox alone must never bypass one.
   */
  forgetCredentials?: (tx: Transaction, userId: number) => Promise<unknown>
  /** Removes this feature's second factors of the user (an admin's "remove second factors"). */
  removeFactors?: (tx: Transaction, userId: number) => Promise<unknown>
  /** Keeps an audited event of a known user (features/activity); runs after the answer. */
  recordEvent?: (db: Database, event: SecurityEvent) => Promise<unknown>
}
