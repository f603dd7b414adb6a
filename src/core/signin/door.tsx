import type { Context } from 'hono'
import type { AppEnv } from '../env'
import { audit } from '../http/audit'
import { nextFrom, withNext } from '../http/next'
import { issueSessionCookie } from '../sessions/cookie'
import { endSession } from '../sessions/sessions'
import { clearFailedSignIns } from '../db/users'
import { rememberDevice } from '../security/device'
import { challengeKind, issueChallenge } from '../security/challenges'
import { succeeded, type Rule } from '../security/throttle'
import { leave, navigate, render } from '../ui/render'
import { LockedCard, UnverifiedCard } from './unverified'

/** How the first step was made; every method names itself here. */
export type SignInMethod = 'password' | 'email-code' | 'passkey' | ProviderMethod

/** A provider sign-in, by the provider's name (features/providers). */
export type ProviderMethod = 'github' | 'google' | 'oidc'

/** How a second step was made. */
export type SecondStepMethod = 'totp' | 'recovery-code' | 'passkey'

/**
 * The pending sign-in between a first step and the second factor (ASVS 6.5; DESIGN "Factors"): no
 * session, only a challenge bound to this browser by a `__Host-` cookie, stored hashed, for 5
 * minutes and 5 tries, spent when the second step succeeds.
 */
export const PENDING_SECOND_STEP = challengeKind('2fa-pending', 300, 5)
/** Where the door sends a browser that owes a second step (features/two-factor answers it). */
export const SECOND_STEP_PATH = '/login/two-factor'

/** The account a first step proved, as the user lookup reads it. */
export interface SignInUser {
  id: number
  username: string
  email: string
  memberSince: Date
  emailVerifiedAt: Date | null
  /** The credential generation read with the first step: a change since then voids the session. */
  generation: number
  /** Wrong passwords in a row, when the method's lookup read them; a success clears them. */
  failedSignIns?: number
  /** The user's session rows, when the method's lookup counted them (see SessionUser). */
  sessionCount?: number
  /** Whether the account has a second factor, read with the first step's lookup. */
  twoFactor: boolean
  /**
   * Whether the account has a password, read with the first step's lookup (`hasPasswordNow` in
   * core/db/users.ts), so the session knows it from its first request (sudo-mode forms).
   */
  hasPassword: boolean
  /**
   * Whether an admin locked the account (issue 21), read with the first step's lookup
   * (`lockedNow` in core/db/users.ts). Required, so no method can forget to read it.
   */
  locked: boolean
}

export interface FirstStep {
  method: SignInMethod
  /** The throttle reservation the attempt made; the door settles it as a success. */
  rules: Rule[]
  /** Work of the method's own that rides in the session's round trip (a password rehash). */
  alongside?: () => Promise<unknown>
  /**
   * The method is itself multi-factor (NIST SP 800-63B-4 3.1.7; ASVS 6.5): a passkey whose
   * authenticator verified the user is something you have, unlocked by something you are or know.
   * It satisfies the second step, so the door starts the session at once.
   */
  multiFactor?: boolean
  /** A conditional write the session stands on (see StandsOn). */
  standsOn?: StandsOn
  /** Where to go next, when the method carried it itself (a provider's round trip). */
  next?: string
}

/**
 * A conditional write a sign-in stands on, run in the session's round trip: a passkey's signature
 * counter, which must move on (WebAuthn L3 7.2 step 21), so of two parallel sign-ins replaying one
 * counter (a cloned key) only one gets a session. When `write` changes nothing, the session just
 * started is ended before the answer leaves (one more statement, on that path only: its cookie
 * then names no session) and `refused` answers instead.
 */
export interface StandsOn {
  write: () => Promise<boolean>
  refused: () => Response | Promise<Response>
}

/**
 * The write a session stands on, run beside the session's insert: a write that throws (the
 * database failed mid-request) counts as one that did not stand, so the session it would have
 * opened is ended before the error answers (503), never left behind a counter nobody moved.
 */
function standing(standsOn: StandsOn | undefined, broke: { error?: unknown }) {
  if (!standsOn) return true
  return standsOn.write().catch((error: unknown) => {
    broke.error = error ?? new Error('the write a sign-in stands on failed')
    return false
  })
}

/**
 * Other work beside the session's insert (the throttle settled, the method's `alongside`, such as
 * a second step's spend of its pending sign-in): a throw is kept for `fallen` rather than failing
 * the round trip at once, so the session started beside it is ended before the 503, not left as a
 * row nobody holds the cookie of (an unknown session in the owner's list).
 */
function beside(work: Promise<unknown> | undefined, broke: { error?: unknown }) {
  return work?.catch((error: unknown) => {
    broke.error ??= error ?? new Error('work beside a sign-in failed')
  })
}

/** The session `issueSessionCookie` just started, ended again: its write did not stand. */
async function fallen<E extends AppEnv>(
  c: Context<E>,
  standsOn: StandsOn | undefined,
  broke: { error?: unknown },
) {
  // Its cookie is not sent either (every cookie set so far goes; `refused` sets its own).
  c.header('Set-Cookie', undefined)
  const started = c.var.auth
  c.set('auth', null)
  if (started) await endSession(c.var.db, started.idHash)
  if (broke.error !== undefined) throw broke.error
  return standsOn!.refused()
}

/**
 * The sign-in door: the only code that starts a session after a successful first step, so no
 * sign-in method can skip what is decided here. It applies the verification policy
 * (EMAIL_VERIFICATION=required: an unconfirmed address gets no session), settles the throttle,
 * starts the session under a fresh id (ASVS 7.2.4) and the credential generation the first step
 * read (so a reset that lands meanwhile voids it), remembers the browser as a known device, audits
 * (ASVS 16.3.1) and sends the browser on. An account with a second factor gets no session here:
 * only a pending sign-in, and the second step's `completeSignIn` starts the session (ASVS 6.5; no
 * first step may skip it).
 */
export async function finishSignIn<E extends AppEnv>(
  c: Context<E>,
  user: SignInUser,
  step: FirstStep,
) {
  const { db, config } = c.var
  if (user.locked) return refuseLocked(c, user, step.rules)
  if (config.emailVerification === 'required' && !user.emailVerifiedAt) {
    // The first step was right (so this reveals nothing new), but the address is unconfirmed.
    await succeeded(db, step.rules)
    await audit(c, 'login', 'failure', { userId: user.id, reason: 'unverified' })
    const card = <UnverifiedCard email={user.email} next={await nextFrom(c)} />
    return render(c, 'Confirm your address', card, 403)
  }
  if (user.twoFactor && !step.multiFactor) {
    // The password was right: its throttle and failure count are settled; the codes have
    // throttles of their own. The browser becomes a known device only with the second step.
    await Promise.all([
      succeeded(db, step.rules),
      step.alongside?.(),
      user.failedSignIns === 0 ? undefined : clearFailedSignIns(db, user.id),
      issueChallenge(c, db, PENDING_SECOND_STEP, user.id, { generation: user.generation }),
    ])
    await audit(c, 'login', 'success', { userId: user.id, method: step.method, reason: 'pending' })
    // `next` rides along to the second step's page, whose forms carry it on (NextField).
    return navigate(c, withNext(SECOND_STEP_PATH, step.next ?? (await nextFrom(c))))
  }
  // One round trip: settle the throttle, the method's own work, and start the session.
  const sessionUser = { ...user, emailVerified: user.emailVerifiedAt !== null }
  const broke: { error?: unknown } = {}
  const [stood] = await Promise.all([
    standing(step.standsOn, broke),
    beside(succeeded(db, step.rules), broke),
    beside(step.alongside?.(), broke),
    beside(user.failedSignIns === 0 ? undefined : clearFailedSignIns(db, user.id), broke),
    issueSessionCookie(c, sessionUser),
  ])
  if (!stood || broke.error !== undefined) return fallen(c, step.standsOn, broke)
  // This browser is now a known device for the account (device.ts): no database call.
  await rememberDevice(c, config.sessionSecret, user.email)
  await audit(c, 'login', 'success', { userId: user.id, method: step.method })
  // Back where the person was going (a checked same-origin path, carried by NextField), else home.
  const next = step.next ?? (await nextFrom(c))
  return next ? leave(c, next) : navigate(c, '/welcome')
}

/**
 * The door's second half: a second step (features/two-factor) proved the factor and spends the
 * pending sign-in in `alongside`; this starts the session, in the same round trip, and sends the
 * browser on. Only the second step calls it, after its single-use check has succeeded.
 */
export async function completeSignIn<E extends AppEnv>(
  c: Context<E>,
  user: SignInUser,
  step: {
    method: SecondStepMethod
    rules: Rule[]
    alongside: () => Promise<unknown>
    standsOn?: StandsOn
  },
) {
  // A lock set while the pending sign-in waited also ended it (changeCredentials), so the step's
  // spend fails first; this is the rule stated once more where the session would start (the
  // pending sign-in is still spent: it proved its step and must not be tried again).
  if (user.locked) {
    await step.alongside()
    return refuseLocked(c, user, step.rules)
  }
  const sessionUser = { ...user, emailVerified: user.emailVerifiedAt !== null }
  const broke: { error?: unknown } = {}
  const [stood] = await Promise.all([
    standing(step.standsOn, broke),
    beside(succeeded(c.var.db, step.rules), broke),
    beside(step.alongside(), broke),
    issueSessionCookie(c, sessionUser),
  ])
  if (!stood || broke.error !== undefined) return fallen(c, step.standsOn, broke)
  await rememberDevice(c, c.var.config.sessionSecret, user.email)
  await audit(c, 'login', 'success', { userId: user.id, method: step.method })
  const next = await nextFrom(c)
  return next ? leave(c, next) : navigate(c, '/welcome')
}

/**
 * The door's second half in two round trips (features/two-factor): `prove` is the second step's one
 * conditional statement (the factor's single use, the pending sign-in spent, its throttle settled)
 * and runs beside the session's insert; the cookie goes out only when it won (see
 * `issueSessionCookie`: a fresh id, ASVS 7.2.4). Undefined when it lost: the caller answers the
 * refusal, and no session exists (ASVS 6.5: no session before the second factor).
 */
export async function completeProvenSignIn<E extends AppEnv>(
  c: Context<E>,
  user: SignInUser,
  step: {
    method: SecondStepMethod
    prove: () => Promise<boolean>
    /** False when `prove` is the only check (every wrong guess would start and end a session). */
    beside: boolean
  },
): Promise<Response | undefined> {
  // As in completeSignIn: a locked account's proven step is still used up, then refused.
  if (user.locked) return (await step.prove()) ? refuseLocked(c, user, []) : undefined
  const sessionUser = { ...user, emailVerified: user.emailVerifiedAt !== null }
  const prove = step.beside ? step.prove : undefined
  if (!prove && !(await step.prove())) return undefined
  if (!(await issueSessionCookie(c, sessionUser, prove))) return undefined
  await rememberDevice(c, c.var.config.sessionSecret, user.email)
  await audit(c, 'login', 'success', { userId: user.id, method: step.method })
  const next = await nextFrom(c)
  return next ? leave(c, next) : navigate(c, '/welcome')
}

/**
 * A locked account after a correct first step: only now does the person learn it is locked, so a
 * stranger without the credentials learns nothing from a lock (issue 21; ASVS 6.3.8). The throttle
 * is settled as for a success: the credentials were right.
 */
async function refuseLocked<E extends AppEnv>(c: Context<E>, user: SignInUser, rules: Rule[]) {
  await succeeded(c.var.db, rules)
  await audit(c, 'login', 'failure', { userId: user.id, reason: 'locked' })
  return render(c, 'This account is locked', <LockedCard />, 403)
}
