import type { Context } from 'hono'
import { Hono } from 'hono/tiny'
import * as v from 'valibot'
import type { AppEnv } from '../../core/env'
import { sudoPasswordField, text } from '../../core/forms/fields'
import { validForm } from '../../core/forms/validate'
import { audit } from '../../core/http/audit'
import { PartUnavailableError } from '../../core/http/errors'
import { nextFrom, safeNext, withNext } from '../../core/http/next'
import { tooManyAttempts } from '../../core/http/throttled'
import { afterResponse, deliver, linkOrigin } from '../../core/mail/deliver'
import { rotateSession, withSession } from '../../core/sessions/cookie'
import { signedIn, type SignedInContext } from '../../core/sessions/guard'
import type { LiveSession } from '../../core/sessions/sessions'
import {
  forgetChallenge,
  heldTokenHash,
  holdsChallenge,
  peekChallenge,
  type HeldChallenge,
} from '../../core/security/challenges'
import { sha256Hex } from '../../core/security/digest'
import { logEvent } from '../../core/security/log'
import { reserveChallengeTry } from '../../core/security/secret-queries'
import {
  keyedHash,
  reservationOf,
  succeeded,
  ThrottleUnavailableError,
  type Rule,
} from '../../core/security/throttle'
import { reserveAttemptFrom } from '../../core/security/throttle-queries'
import {
  completeProvenSignIn,
  PENDING_SECOND_STEP,
  type SecondStepMethod,
} from '../../core/signin/door'
import { reauthenticate } from '../../core/signin/reauth'
import { defineNotice, setFlash, takeFlash } from '../../core/ui/flash'
import { leave, navigate, render } from '../../core/ui/render'
import { open, seal, sealedUnderCurrent } from './crypto'
import { disabledMail, enabledMail, recoveryCodeUsedMail, regeneratedMail } from './mail'
import {
  acceptAppCode,
  acceptRecoveryCode,
  advanceStep,
  countRecoveryCodes,
  disableTwoFactor,
  enableTwoFactor,
  findTotpKey,
  pendingAccountKey,
  replaceRecoveryCodes,
  spendRecoveryCode,
  type PendingStep,
} from './queries'
import { newRecoveryCodes, recoveryCodeHash, typedRecoveryCode } from './recovery'
import { groupedKey, keyUri, matchingStep, newTotpKey, typedCode } from './totp'
import {
  RecoveryCodesCard,
  SecondStepCard,
  SetupCard,
  StartOverCard,
  TwoFactorCard,
  type Refusal,
} from './views'

export const twoFactorRoutes = new Hono<AppEnv>()

// Associated-data purposes (crypto.ts): a stored key and an enrolment in progress never open as
// each other.
const STORED = 'totp'
const ENROLMENT = 'totp-enrol'
// How long the setup page's key stays usable for confirming (it lives only in the page's form).
const ENROLMENT_SECONDS = 15 * 60
const TWO_FACTOR_OFF = defineNotice('two_factor_off', 'Two-factor sign-in is off.')
const NOT_RIGHT = 'That code is not right, or was already used. Enter the code the app shows now.'

// ASVS 6.3.1 / NIST SP 800-63B-4 3.2.2 for codes: besides the pending sign-in's 5 tries, every
// code tried for an account counts against it wherever it comes from; past 10 in a day each
// further one waits twice as long as the last (up to a minute): slowed, never locked out.
const ACCOUNT_CODES = {
  limit: 10,
  windowSeconds: 24 * 3600,
  kind: 'delay',
  maxDelaySeconds: 60,
  onSuccess: 'forget',
} as const

// The account's code throttle key is `sha256(pepper:userId)`, a keyed name the database can derive
// from the pending sign-in's row (queries.ts `pendingAccountKey`) and the Worker from the user id.
const accountPepper = async (secret: string) => (await keyedHash(secret))('2fa-account')
const accountKeyOf = (pepper: string, userId: number) => sha256Hex(`${pepper}:${userId}`)

const UNAVAILABLE =
  'Codes from authenticator apps cannot be checked on this server right now. Use a recovery code, or try again later.'

/** Whether this server can check app codes (TOTP_ENCRYPTION_KEY usable; core/config.ts logs why not). */
const totpAvailable = <E extends AppEnv>(c: Context<E>) => c.var.config.totpKeys.length > 0

/** Opens an account's stored key; undefined (and logged) when no configured key version opens it. */
async function openStored<E extends AppEnv>(c: Context<E>, userId: number, stored: string) {
  const key = await open(c.var.config.totpKeys, STORED, userId, stored)
  // A key version missing from TOTP_ENCRYPTION_KEY (a rotation that dropped one too soon).
  if (!key) logEvent('error', 'totp_key_cannot_open', { userId })
  return key
}

// ---- Settings: /account/two-factor ----

async function settings(c: SignedInContext, refusal?: Refusal, status: 200 | 400 | 429 = 200) {
  const { auth, db, config } = c.var
  const codesLeft = auth.twoFactor ? await countRecoveryCodes(db, auth.userId) : 0
  const card = (
    <TwoFactorCard
      enabled={auth.twoFactor}
      codesLeft={codesLeft}
      available={totpAvailable(c)}
      flash={refusal ? undefined : takeFlash(c)}
      refusal={refusal}
      hasPassword={auth.hasPassword}
    />
  )
  return render(c, 'Two-factor sign-in', card, status)
}

twoFactorRoutes.get('/account/two-factor', signedIn, (c) => settings(c))

const sudoForm = (form: Refusal['form']) =>
  validForm(
    (c) => v.object({ password: sudoPasswordField(c.var.auth?.hasPassword) }),
    (c, errors) =>
      settings(
        c as SignedInContext,
        { form, message: errors.password ?? 'Enter your password.', field: 'password' },
        400,
      ),
  )

/** Sudo mode for each form here: the password, and for an account with 2FA a code too. */
async function recheck(
  c: SignedInContext,
  password: string,
  form: Refusal['form'],
  action: string,
) {
  const result = await reauthenticate(c, c.var.auth, password)
  if (result.ok) return result
  await audit(c, action, result.outcome, { userId: c.var.auth.userId })
  return settings(c, { form, message: result.message, field: result.field }, result.status)
}

twoFactorRoutes.post('/account/two-factor/setup', signedIn, sudoForm('setup'), async (c) => {
  const { auth, config, db } = c.var
  if (auth.twoFactor) return navigate(c, '/account/two-factor')
  const keys = config.totpKeys
  if (!totpAvailable(c)) return settings(c)
  const checked = await recheck(c, c.req.valid('form').password, 'setup', 'two_factor_enable')
  if (checked instanceof Response) return checked
  await succeeded(db, checked.rules)
  const key = newTotpKey()
  // The key travels in the form, encrypted and bound to this user (associated data) with the time
  // it was made, so nothing is stored until a code proves the app has it.
  const issued = new TextEncoder().encode(String(Date.now()))
  const enrolment = await seal(keys, ENROLMENT, auth.userId, new Uint8Array([...key, ...issued]))
  return setupPage(c, key, enrolment)
})

/** The setup page: the key as a QR code and as text, and the form that confirms it. */
function setupPage(c: SignedInContext, key: Uint8Array, enrolment: string, error?: string) {
  const { config, auth } = c.var
  const card = (
    <SetupCard
      uri={keyUri(config.appName, auth.email, key)}
      groupedKey={groupedKey(key)}
      enrolment={enrolment}
      error={error}
    />
  )
  return render(c, 'Set up your authenticator app', card, error ? 400 : 200)
}

const enableForm = validForm(
  () =>
    v.object({ enrolment: v.pipe(text, v.maxLength(300)), code: v.pipe(text, v.maxLength(20)) }),
  (c) => navigate(c, '/account/two-factor'),
)

async function openEnrolment(c: SignedInContext, enrolment: string) {
  const plain = await open(c.var.config.totpKeys, ENROLMENT, c.var.auth.userId, enrolment)
  if (!plain || plain.length <= 20) return undefined
  const issued = Number(new TextDecoder().decode(plain.slice(20)))
  if (!(Date.now() - issued < ENROLMENT_SECONDS * 1000)) return undefined
  return plain.slice(0, 20)
}

twoFactorRoutes.post('/account/two-factor/enable', signedIn, enableForm, async (c) => {
  const { auth, config, db } = c.var
  const form = c.req.valid('form')
  if (auth.twoFactor) return navigate(c, '/account/two-factor')
  const key = await openEnrolment(c, form.enrolment)
  if (!key) {
    const message = 'That setup has expired. Start again.'
    return settings(c, { form: 'setup', message }, 400)
  }
  const code = typedCode(form.code)
  const now = new Date()
  const step = code === undefined ? undefined : await matchingStep(key, code, now)
  if (step === undefined) {
    await audit(c, 'two_factor_enable', 'failure', { userId: auth.userId, reason: 'code' })
    return setupPage(c, key, form.enrolment, code ? NOT_RIGHT : 'Enter the 6 digits the app shows.')
  }
  const codes = newRecoveryCodes()
  const codeHashes = await Promise.all(
    codes.map((rc) => recoveryCodeHash(config.sessionSecret, auth.userId, rc)),
  )
  const enabled = await enableTwoFactor(
    db,
    {
      userId: auth.userId,
      generation: auth.generation,
      keepIdHash: auth.idHash,
      totpKey: await seal(config.totpKeys, STORED, auth.userId, key),
      // The confirming code's step counts as used: it cannot sign anyone in afterwards.
      step,
      codeHashes,
    },
    now,
  )
  if (!enabled) return navigate(c, '/account/two-factor')
  // The change moved the generation on and ended every other session; this one starts afresh.
  await rotateSession(c, { ...auth, generation: auth.generation + 1, twoFactor: true })
  await audit(c, 'two_factor_enable', 'success', { userId: auth.userId })
  notify(c, auth, 'two_factor_enabled', enabledMail)
  return render(
    c,
    'Save your recovery codes',
    <RecoveryCodesCard codes={codes} appName={config.appName} first />,
  )
})

twoFactorRoutes.post(
  '/account/two-factor/recovery-codes',
  signedIn,
  sudoForm('regenerate'),
  async (c) => {
    const { auth, config, db } = c.var
    if (!auth.twoFactor) return navigate(c, '/account/two-factor')
    const checked = await recheck(c, c.req.valid('form').password, 'regenerate', 'recovery_codes')
    if (checked instanceof Response) return checked
    const codes = newRecoveryCodes()
    const hashes = await Promise.all(
      codes.map((rc) => recoveryCodeHash(config.sessionSecret, auth.userId, rc)),
    )
    await Promise.all([
      replaceRecoveryCodes(db, auth.userId, hashes, new Date()),
      succeeded(db, checked.rules),
    ])
    await audit(c, 'recovery_codes', 'success', { userId: auth.userId })
    notify(c, auth, 'recovery_codes_regenerated', regeneratedMail)
    const card = <RecoveryCodesCard codes={codes} appName={config.appName} first={false} />
    return render(c, 'Save your recovery codes', card)
  },
)

twoFactorRoutes.post('/account/two-factor/disable', signedIn, sudoForm('disable'), async (c) => {
  const { auth, db } = c.var
  if (!auth.twoFactor) return navigate(c, '/account/two-factor')
  const checked = await recheck(c, c.req.valid('form').password, 'disable', 'two_factor_disable')
  if (checked instanceof Response) return checked
  const change = { userId: auth.userId, generation: auth.generation, keepIdHash: auth.idHash }
  const [disabled] = await Promise.all([disableTwoFactor(db, change), succeeded(db, checked.rules)])
  if (!disabled) return navigate(c, '/account/two-factor')
  await rotateSession(c, { ...auth, generation: auth.generation + 1, twoFactor: false })
  await audit(c, 'two_factor_disable', 'success', { userId: auth.userId })
  notify(c, auth, 'two_factor_disabled', disabledMail)
  setFlash(c, TWO_FACTOR_OFF)
  return navigate(c, '/account/two-factor')
})

/** A security notice to the owner, after the answer (never throttled: ASVS 6.3.7). */
function notify(
  c: SignedInContext,
  auth: LiveSession,
  job: string,
  mail: (app: string, to: string, origin: string) => ReturnType<typeof enabledMail>,
) {
  const origin = linkOrigin(c)
  afterResponse(c, job, () => deliver(c, job, mail(c.var.config.appName, auth.email, origin)))
}

// ---- The second step of a sign-in: /login/two-factor ----

function startOver(c: Context<AppEnv>, next: string | undefined) {
  forgetChallenge(c, PENDING_SECOND_STEP)
  return render(c, 'Sign in again', <StartOverCard next={next} />, 400)
}

function secondStepPage(recovery: boolean) {
  return async (c: Context<AppEnv>) => {
    const next = await nextFrom(c)
    // Signed in already, and no sign-in waiting for its second step: nothing to do here. With one
    // waiting (signing in again to confirm a sensitive change, which an account without a password
    // does: core/signin/reauth.ts), the code is asked for, and the new session replaces this one.
    if (c.var.auth && !holdsChallenge(c, PENDING_SECOND_STEP)) {
      return next ? leave(c, next) : navigate(c, '/welcome')
    }
    c.header('Cache-Control', 'no-store')
    const held = await peekChallenge(c, c.var.db, PENDING_SECOND_STEP)
    if (!held?.totpKey) return startOver(c, next)
    const title = recovery ? 'Use a recovery code' : 'Enter your code'
    return render(c, title, <SecondStepCard recovery={recovery} next={next} />)
  }
}

twoFactorRoutes.get('/login/two-factor', withSession, secondStepPage(false))
twoFactorRoutes.get('/login/two-factor/recovery', withSession, secondStepPage(true))

const codeForm = validForm(
  () => v.object({ code: v.pipe(text, v.maxLength(40)) }),
  (c, _errors, raw) => navigate(c, withNext('/login/two-factor', safeNext(raw.next))),
)

/** A typed code checked as far as the Worker can: the statement that accepts it, and on a loss. */
interface Candidate {
  prove: (p: PendingStep) => Promise<boolean>
  /** Beside the pending sign-in's try after `prove` lost (an app code's step is used up). */
  lost?: (p: PendingStep) => Promise<unknown>
  /** Whether `prove` may run beside the session's insert (see `completeProvenSignIn`). */
  beside: boolean
}

/**
 * The second step, for either kind of code, in two round trips for a right app code:
 * 1. the pending sign-in's read, beside the account's code reservation, which the database keys by
 *    the account of the live pending sign-in the cookie names (reserved before anything is
 *    checked, ASVS 6.3.1; refused: 429, nothing checked);
 * 2. the code's one conditional statement (single use, the pending sign-in's try taken and it spent,
 *    the account's count settled: `acceptAppCode`), beside the session's insert in the door.
 * A code that lost (wrong, replayed, or the pending sign-in out of tries) then takes the pending
 * sign-in's try (5, then start over), so a verdict is only ever given for a try that was counted.
 * An app code that was right but lost has its step used up too, so whatever the timing of that
 * answer tells, the code can no longer sign in. A recovery code is checked by the database alone,
 * so its statement does not run beside a session that every wrong guess would start and end.
 */
async function secondStep(
  c: Context<AppEnv>,
  method: SecondStepMethod,
  typed: string | undefined,
  check: (held: HeldChallenge) => Promise<Candidate | 'unavailable' | undefined>,
) {
  const { db, config } = c.var
  const kind = PENDING_SECOND_STEP
  const recovery = method === 'recovery-code'
  const title = recovery ? 'Use a recovery code' : 'Enter your code'
  // A wrong code keeps where the person was going.
  const next = await nextFrom(c)
  const refused = (status: 400 | 422 | 429 | 503, failure: string) =>
    render(c, title, <SecondStepCard recovery={recovery} failure={failure} next={next} />, status)
  if (!typed) {
    const what = recovery
      ? 'Enter a recovery code: 12 letters and digits.'
      : 'Enter the 6 digits the app shows.'
    return refused(422, what)
  }
  c.header('Cache-Control', 'no-store')
  // Without a usable TOTP_ENCRYPTION_KEY no app code can pass: said before anything is counted.
  if (!recovery && !totpAvailable(c)) return refused(503, UNAVAILABLE)
  const tokenHash = await heldTokenHash(c, kind)
  const now = new Date()
  const pepper = await accountPepper(config.sessionSecret)
  const [held, attempt] = tokenHash
    ? await Promise.all([
        peekChallenge(c, db, kind, now),
        reserveAttemptFrom(
          db,
          ACCOUNT_CODES,
          pendingAccountKey(pepper, kind, tokenHash, now),
          now,
        ).catch((err: unknown) => {
          throw new ThrottleUnavailableError('throttle reservation failed', { cause: err })
        }),
      ])
    : []
  if (!tokenHash || !held?.totpKey) {
    await audit(c, 'login_second_step', 'failure', { reason: 'no_pending', method })
    return startOver(c, next)
  }
  const rule: Rule = { keyHash: await accountKeyOf(pepper, held.userId), ...ACCOUNT_CODES }
  const reservation = await reservationOf(db, [rule], [attempt ?? 0], now)
  if (!reservation.allowed) {
    await audit(c, 'login_second_step', 'throttled', { userId: held.userId, method })
    return refused(429, tooManyAttempts(c, reservation))
  }
  const pending: PendingStep = {
    kind,
    tokenHash,
    userId: held.userId,
    generation: held.generation,
    accountKey: rule.keyHash,
    now,
  }
  const candidate = await check(held)
  if (candidate === 'unavailable') {
    // The account has a second factor this server cannot check now (ASVS 6.5): never skipped.
    await audit(c, 'login_second_step', 'failure', {
      userId: held.userId,
      reason: 'no_key',
      method,
    })
    return refused(503, UNAVAILABLE)
  }
  if (candidate) {
    const signedIn = await completeProvenSignIn(c, held, {
      method,
      beside: candidate.beside,
      prove: async () => {
        const won = await candidate.prove(pending)
        if (won) forgetChallenge(c, kind)
        return won
      },
    })
    if (signedIn) {
      if (recovery) recoveryCodeUsed(c, held.userId, held.email)
      return signedIn
    }
  }
  const [tried] = await Promise.all([
    reserveChallengeTry(db, tokenHash, kind.maxFailures),
    candidate?.lost?.(pending),
  ])
  await audit(c, 'login_second_step', 'failure', { userId: held.userId, method })
  if (!tried) return startOver(c, next)
  return refused(
    400,
    recovery ? 'That recovery code is not right, or was already used.' : NOT_RIGHT,
  )
}

twoFactorRoutes.post('/login/two-factor', codeForm, async (c) => {
  const typed = typedCode(c.req.valid('form').code)
  return secondStep(c, 'totp', typed, async (held) => {
    const key = await openStored(c, held.userId, held.totpKey!)
    if (!key) return 'unavailable'
    // A wrong code costs no statement of its own: only its try.
    const step = await matchingStep(key, typed!, new Date())
    if (step === undefined) return undefined
    const { totpKeys } = c.var.config
    const stored = held.totpKey!
    const rewrap = sealedUnderCurrent(totpKeys, stored)
      ? undefined
      : { from: stored, to: await seal(totpKeys, STORED, held.userId, key) }
    return {
      beside: true,
      prove: (p) => acceptAppCode(c.var.db, p, step, rewrap),
      lost: (p) => advanceStep(c.var.db, p.userId, step),
    }
  })
})

twoFactorRoutes.post('/login/two-factor/recovery', codeForm, async (c) => {
  const { db, config } = c.var
  const typed = typedRecoveryCode(c.req.valid('form').code)
  return secondStep(c, 'recovery-code', typed, async (held) => {
    const hash = await recoveryCodeHash(config.sessionSecret, held.userId, typed!)
    return { beside: false, prove: (p) => acceptRecoveryCode(db, p, hash) }
  })
})

function recoveryCodeUsed<E extends AppEnv>(c: Context<E>, userId: number, email: string) {
  const { config, db } = c.var
  const origin = linkOrigin(c)
  afterResponse(c, 'recovery_code_used', async () => {
    const left = await countRecoveryCodes(db, userId)
    await deliver(
      c,
      'recovery_code_used',
      recoveryCodeUsedMail(config.appName, email, left, origin),
    )
  })
}

/** Sudo mode's second factor (core/signin/reauth.ts): a current app code or a recovery code. */
export async function checkSecondFactor(c: Context<AppEnv>, auth: LiveSession, code: string) {
  const { db, config } = c.var
  const totp = typedCode(code)
  if (totp) {
    // A code that cannot be checked here is not a wrong code: the person is told so, and that a
    // recovery code works, as at the sign-in's second step (a 503, not "that code is wrong").
    if (!totpAvailable(c)) throw new PartUnavailableError(UNAVAILABLE)
    const stored = await findTotpKey(db, auth.userId)
    if (!stored) return false
    const key = await openStored(c, auth.userId, stored)
    if (!key) throw new PartUnavailableError(UNAVAILABLE)
    const step = await matchingStep(key, totp, new Date())
    return step !== undefined && advanceStep(db, auth.userId, step)
  }
  const recovery = typedRecoveryCode(code)
  if (!recovery) return false
  const hash = await recoveryCodeHash(config.sessionSecret, auth.userId, recovery)
  const spent = await spendRecoveryCode(db, auth.userId, hash)
  if (spent) recoveryCodeUsed(c, auth.userId, auth.email)
  return spent
}
