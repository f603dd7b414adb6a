import type { Context } from 'hono'
import { Hono } from 'hono/tiny'
import * as v from 'valibot'
import { isDuplicateKey } from '../../core/db/client'
import type { AppEnv } from '../../core/env'
import { normaliseEmail } from '../../core/forms/email'
import { emailField, text, usernameField } from '../../core/forms/fields'
import { validForm } from '../../core/forms/validate'
import { audit } from '../../core/http/audit'
import { internalPath } from '../../core/http/mount'
import { safeNext } from '../../core/http/next'
import { countFailure, tooManyAttempts } from '../../core/http/throttled'
import { afterResponse, deliver, linkOrigin } from '../../core/mail/deliver'
import { rotateSession, withSession } from '../../core/sessions/cookie'
import { signedIn, type SignedInContext } from '../../core/sessions/guard'
import { succeeded } from '../../core/security/throttle'
import { finishSignIn } from '../../core/signin/door'
import { reauthenticate, recentSignIn } from '../../core/signin/reauth'
import { defineNotice, setFlash, takeFlash } from '../../core/ui/flash'
import { isHtmx, leave, navigate, render } from '../../core/ui/render'
import { authorizationUrl, freshSecrets, ProviderFailure, redeem, type Identity } from './client'
import { findProvider, providerSettings, type Provider } from './config'
import { connectedMail, disconnectedMail } from './mail'
import {
  connectIdentity,
  connectNewAccount,
  deleteNewAccount,
  disconnectIdentity,
  emailInUse,
  findLinkedAccount,
  insertProviderUser,
  listConnected,
  touchAccount,
} from './queries'
import { forgetState, heldState, sealState, sentState, type HeldState } from './state'
import {
  ConnectedCard,
  ContinueCard,
  EmailTakenCard,
  ProviderFailureCard,
  type Refusal,
} from './views'

export const providerRoutes = new Hono<AppEnv>()

const CONNECTED = defineNotice('provider_connected', 'The account was connected.')
const ALREADY = defineNotice('provider_already', 'That account was already connected.')
const DISCONNECTED = defineNotice('provider_disconnected', 'The account was disconnected.')

const settingsOf = (c: Context<AppEnv>) => providerSettings(c.env, c.var.config)
/** The redirect URI registered at the provider: this origin, under MOUNT_PATH. */
const callbackUrl = (c: Context, id: string) => `${linkOrigin(c)}/login/provider/${id}/callback`

function providerOf(c: Context<AppEnv>) {
  const settings = settingsOf(c)
  return { settings, provider: findProvider(settings, c.req.param('id') ?? '') }
}

// ---- The round trip: /login/provider/:id → the provider → /login/provider/:id/callback ----

const MESSAGES: Record<string, string> = {
  no_state:
    'This sign-in was not started in this browser, or its cookie was blocked. Start again from the sign-in page.',
  expired: 'This sign-in took longer than 10 minutes. Start again from the sign-in page.',
  state: 'That answer does not belong to the sign-in this browser started. Start again.',
  denied: 'The sign-in was cancelled or refused there. You can try again, or sign in another way.',
  session: 'You were signed out or signed in again meanwhile. Start again from your account page.',
  no_email:
    'It did not give us a verified email address, which a new account needs. Verify your address there, or create an account with your email address here.',
}

function failureMessage(label: string, reason: string) {
  if (MESSAGES[reason]) return MESSAGES[reason]
  if (/timeout/.test(reason)) return `${label} did not answer in time. Try again in a moment.`
  if (/unreachable|status|api_|discovery/.test(reason))
    return `We could not reach ${label}. Try again in a moment, or sign in another way.`
  if (/refused/.test(reason))
    return `${label} did not accept this sign-in (it may have been used already). Start again.`
  return `${label}'s answer could not be verified. Start again.`
}

/** Provider trouble (down, slow, malformed) is 502; everything the browser brought is 400. */
const statusOf = (reason: string) =>
  /timeout|unreachable|status|api_|discovery|invalid/.test(reason) ? 502 : 400

async function refuseCallback(
  c: Context<AppEnv>,
  provider: Provider,
  reason: string,
  back: 'signin' | 'account',
  userId?: number,
) {
  // Failed callbacks count after the fact (ASVS 6.3.1, `countFailure`): past the allowance, 429.
  const reservation = await countFailure(c, 'provider')
  const outcome = reservation.allowed ? 'failure' : 'throttled'
  await audit(c, back === 'account' ? 'provider_connect' : 'login', outcome, {
    userId,
    method: provider.id,
    reason,
  })
  const message = reservation.allowed
    ? failureMessage(provider.label, reason)
    : tooManyAttempts(c, reservation)
  const card = <ProviderFailureCard label={provider.label} message={message} back={back} />
  return render(c, 'Sign-in did not work', card, reservation.allowed ? statusOf(reason) : 429)
}

/** Seals the round trip's state in this browser and sends it to the provider. */
async function goToProvider(
  c: Context<AppEnv>,
  provider: Provider,
  held: Omit<HeldState, 'state' | 'nonce' | 'verifier' | 'issuedAt'> &
    Partial<Pick<HeldState, 'state' | 'nonce' | 'verifier' | 'issuedAt'>>,
) {
  c.header('Cache-Control', 'no-store')
  const back = held.mode === 'link' ? 'account' : 'signin'
  let started
  try {
    const given = held.state ? (held as HeldState) : undefined
    started = await authorizationUrl(provider, settingsOf(c), callbackUrl(c, provider.id), given)
  } catch (err) {
    if (!(err instanceof ProviderFailure)) throw err
    return refuseCallback(c, provider, err.reason, back, held.userId)
  }
  const { state, nonce, verifier } = started
  await sealState(c, { ...held, state, nonce, verifier, issuedAt: held.issuedAt ?? Date.now() })
  // A full navigation to the provider (the start is a plain link).
  return c.redirect(started.url.href, 302)
}

providerRoutes.get('/login/provider/:id', (c) => {
  const { provider } = providerOf(c)
  if (!provider) return c.notFound()
  // Also while signed in: signing in again is how an account without a password confirms a
  // sensitive change (core/signin/reauth.ts); the door then ends the older session.
  return goToProvider(c, provider, {
    provider: provider.id,
    mode: 'in',
    next: safeNext(c.req.query('next')),
  })
})

// The second half of a connect: the POST that re-authenticated sealed the state; this same-origin
// GET sends the browser on (CSP form-action forbids a form answer that redirects cross-origin).
providerRoutes.get('/login/provider/:id/go', async (c) => {
  const { provider } = providerOf(c)
  if (!provider) return c.notFound()
  const held = await heldState(c, provider.id)
  if (!held || held.mode !== 'link') return navigate(c, '/account/connected')
  return goToProvider(c, provider, held)
})

providerRoutes.get('/login/provider/:id/callback', withSession, async (c) => {
  c.header('Cache-Control', 'no-store')
  const { settings, provider } = providerOf(c)
  if (!provider) return c.notFound()
  // The state is single use in this browser: cleared whatever happens next (the code itself is
  // single use at the provider, RFC 6749 4.1.2).
  const sent = sentState(c)
  const held = await heldState(c, provider.id)
  forgetState(c)
  const back = held?.mode === 'link' ? 'account' : 'signin'
  const fail = (reason: string) => refuseCallback(c, provider, reason, back, held?.userId)
  if (!held) return fail(sent ? 'expired' : 'no_state')
  const url = new URL(c.req.url)
  // RFC 9700 2.1 / RFC 6749 10.12: an answer to another browser's request (login CSRF) stops here.
  if (url.searchParams.get('state') !== held.state) return fail('state')
  if (url.searchParams.has('error')) {
    return fail(url.searchParams.get('error') === 'access_denied' ? 'denied' : 'provider_error')
  }
  let identity: Identity
  try {
    identity = await redeem(provider, settings, url, callbackUrl(c, provider.id), held)
  } catch (err) {
    if (!(err instanceof ProviderFailure)) throw err
    return fail(err.reason)
  }
  if (held.mode === 'link') return finishConnect(c, provider, held, identity)
  return signInWith(c, provider, held, identity)
})

/** A username under signup's rules from what the provider calls the person, else the address. */
export function usernameFrom(name: string | undefined, email: string): string {
  for (const candidate of [name, email.split('@')[0], 'New user']) {
    if (!candidate) continue
    const cut = [...candidate.trim().normalize('NFC')].slice(0, 64).join('')
    const parsed = v.safeParse(usernameField, cut)
    if (parsed.success) return parsed.output
  }
  return 'New user'
}

async function signInWith(
  c: Context<AppEnv>,
  provider: Provider,
  held: HeldState,
  identity: Identity,
) {
  const { db, config } = c.var
  const method = provider.id
  // Only an address the provider verified may name a new account: an unverified one would let
  // anyone pre-register someone else's address with their own identity attached (pre-account
  // hijacking), which a later password reset by the real owner would not remove.
  const parsed =
    identity.emailVerified && identity.email ? v.safeParse(emailField, identity.email) : undefined
  const email = parsed?.success ? parsed.output : ''
  // An address nobody proved is looked up only where signup tells a taken address anyway: with
  // EMAIL_VERIFICATION=required signup reveals no account, and neither does this (ASVS 6.3.8).
  const typed =
    identity.email && config.emailVerification !== 'required' ? normaliseEmail(identity.email) : ''
  const key = { provider: provider.id, subject: identity.subject }
  const now = new Date()
  const username = email ? usernameFrom(identity.name, email) : ''
  // Round trip 1: the identity's account, and beside it, with a verified address, the new account
  // (made only while the identity is connected to none, so a returning sign-in writes nothing);
  // without one, only whether the address is in use.
  const [linked, made] = await Promise.all([
    findLinkedAccount(db, provider.id, identity.subject),
    email
      ? insertProviderUser(db, { username, email, emailVerifiedAt: now }, key)
      : emailInUse(db, typed).then((taken) => (taken ? ('taken' as const) : undefined)),
  ])
  if (linked) {
    // A user made all the same: the identity was disconnected between the two statements.
    const stray = typeof made === 'number' ? made : undefined
    // Round trip 2, in the door: the last use beside the session (or the pending second step).
    return finishSignIn(c, linked, {
      method,
      rules: [],
      next: held.next,
      alongside: () =>
        Promise.all([
          touchAccount(db, linked.accountId, now),
          stray ? deleteNewAccount(db, stray) : undefined,
        ]),
    })
  }
  // GHSA-g38m-r43w-p2q7: an address in use is never linked to a new identity automatically.
  if (made === 'taken') return emailTaken(c, provider)
  // Connected meanwhile, by a parallel sign-in that made its account first.
  if (made === 'connected') return identityRaced(c, provider)
  if (made === undefined) {
    await audit(c, 'login', 'failure', { method, reason: 'no_email' })
    const card = (
      <ProviderFailureCard label={provider.label} message={MESSAGES.no_email!} back="signin" />
    )
    return render(c, 'Sign-in did not work', card, 400)
  }
  const userId = made
  const user = {
    id: userId,
    username,
    email,
    memberSince: now,
    emailVerifiedAt: now,
    generation: 0,
    failedSignIns: 0,
    sessionCount: 0,
    twoFactor: false,
    // Made with NO_PASSWORD (insertProviderUser).
    hasPassword: false,
    locked: false,
  }
  // Round trip 2: the identity's insert beside the session's, which stands on it (no transaction).
  // Should the Worker stop between the two, the user row is left with no password and no identity:
  // no way in that anyone but the address's owner holds, since the address is verified; that owner
  // signs in by an emailed code or sets a password by reset (ASVS 6.4.3), and a provider
  // sign-in with it hears that the account exists (never linked: GHSA-g38m-r43w-p2q7).
  let failure: unknown
  return finishSignIn(c, user, {
    method,
    rules: [],
    next: held.next,
    standsOn: {
      write: async () => {
        try {
          await connectNewAccount(db, userId, key, now)
        } catch (err) {
          // Never thrown beside the session's insert: the door ends that session first.
          failure = err
          return false
        }
        // The account exists once its identity does; audited before the door's login line.
        await audit(c, 'signup', 'success', { userId, method })
        return true
      },
      refused: async () => {
        // The door dropped every cookie; the state is cleared again, before anything can throw (an
        // outage's 503 page clears it too).
        forgetState(c)
        // Compensation: the account made in round trip 1 goes (the door ended its session).
        await deleteNewAccount(db, userId)
        if (!isDuplicateKey(failure)) throw failure
        return identityRaced(c, provider)
      },
    },
  })
}

/** The identity was connected to an account by a sign-in running at the same moment as this one. */
async function identityRaced(c: Context<AppEnv>, provider: Provider) {
  await audit(c, 'login', 'failure', { method: provider.id, reason: 'identity_taken' })
  const message = `Your ${provider.label} account was connected here by another sign-in at the same moment. Sign in with ${provider.label} again.`
  const card = <ProviderFailureCard label={provider.label} message={message} back="signin" />
  return render(c, 'Sign-in did not work', card, 409)
}

async function emailTaken(c: Context<AppEnv>, provider: Provider) {
  await audit(c, 'login', 'failure', { method: provider.id, reason: 'email_taken' })
  return render(c, 'You already have an account', <EmailTakenCard label={provider.label} />, 409)
}

async function finishConnect(
  c: Context<AppEnv>,
  provider: Provider,
  held: HeldState,
  identity: Identity,
) {
  const { db, config } = c.var
  const auth = c.var.auth
  // The connect finishes only in the session that re-authenticated for it.
  if (!auth || auth.userId !== held.userId || auth.idHash !== held.sid) {
    return refuseCallback(c, provider, 'session', 'account', held.userId)
  }
  const change = { userId: auth.userId, generation: auth.generation, keepIdHash: auth.idHash }
  const identityKey = { provider: provider.id, subject: identity.subject }
  const result = await connectIdentity(db, change, identityKey, new Date())
  if (result === 'stale') return navigate(c, '/account/connected')
  if (result === 'mine') {
    setFlash(c, ALREADY)
    return navigate(c, '/account/connected')
  }
  if (result === 'taken') {
    await audit(c, 'provider_connect', 'failure', {
      userId: auth.userId,
      method: provider.id,
      reason: 'taken',
    })
    const message = `This ${provider.label} account is already connected to another account here. Disconnect it there first.`
    const card = <ProviderFailureCard label={provider.label} message={message} back="account" />
    return render(c, 'Not connected', card, 409)
  }
  // The change moved the generation on and ended every other session; this one starts afresh.
  await rotateSession(c, { ...auth, generation: auth.generation + 1 })
  await audit(c, 'provider_connect', 'success', { userId: auth.userId, method: provider.id })
  const origin = linkOrigin(c)
  afterResponse(c, 'provider_connected', () =>
    deliver(
      c,
      'provider_connected',
      connectedMail(config.appName, auth.email, provider.label, origin),
    ),
  )
  setFlash(c, CONNECTED)
  return navigate(c, '/account/connected')
}

// ---- Settings: /account/connected ----

async function connectedPage(
  c: SignedInContext,
  refusal?: Refusal,
  status: 200 | 400 | 409 | 429 = 200,
) {
  const { auth, db } = c.var
  const { providers } = settingsOf(c as unknown as Context<AppEnv>)
  const rows = await listConnected(db, auth.userId)
  const passwordless = !auth.hasPassword
  const againId = rows.find((r) => providers.some((p) => p.id === r.provider))?.provider
  const again =
    passwordless && !recentSignIn(auth) ? providers.find((p) => p.id === againId) : undefined
  const card = (
    <ConnectedCard
      rows={rows}
      providers={providers}
      twoFactor={auth.twoFactor}
      passwordless={passwordless}
      again={again}
      flash={refusal ? undefined : takeFlash(c)}
      refusal={refusal}
    />
  )
  return render(c, 'Connected accounts', card, status)
}

providerRoutes.get('/account/connected', signedIn, (c) => connectedPage(c))

// No `nonEmpty`: an account without a password sends none (reauthenticate decides).
const sudoForm = validForm(
  () => v.object({ password: text }),
  (c) => navigate(c, '/account/connected'),
)

providerRoutes.post('/account/connected/:id/connect', signedIn, sudoForm, async (c) => {
  const { auth, db } = c.var
  const { provider } = providerOf(c as unknown as Context<AppEnv>)
  if (!provider) return navigate(c, '/account/connected')
  const form = `connect-${provider.id}` as const
  // Sudo mode (core/signin/reauth.ts): the password (or a very recent sign-in), and the second
  // factor when there is one.
  const sudo = await reauthenticate(c, auth, c.req.valid('form').password)
  if (!sudo.ok) {
    await audit(c, 'provider_connect', sudo.outcome, { userId: auth.userId, method: provider.id })
    return connectedPage(c, { form, message: sudo.message, field: sudo.field }, sudo.status)
  }
  await succeeded(db, sudo.rules)
  // The round trip is bound to this session; its state is sealed now and used by the GET below.
  const { state, nonce, verifier } = freshSecrets()
  await sealState(c as unknown as Context<AppEnv>, {
    provider: provider.id,
    mode: 'link',
    userId: auth.userId,
    sid: auth.idHash,
    next: '/account/connected',
    state,
    nonce,
    verifier,
    issuedAt: Date.now(),
  })
  // The next hop leaves this origin, so not as this form's answer (CSP form-action 'self'): with
  // htmx a full navigation (HX-Redirect), without JavaScript a page that moves on by itself.
  const go = `/login/provider/${provider.id}/go`
  if (isHtmx(c)) return leave(c, internalPath(c, go))
  c.header('Refresh', `0; url=${internalPath(c, go)}`)
  c.header('Cache-Control', 'no-store')
  return render(
    c,
    `Continue to ${provider.label}`,
    <ContinueCard label={provider.label} href={go} />,
  )
})

function rowId(c: Context) {
  const id = Number(c.req.param('id'))
  return Number.isSafeInteger(id) && id > 0 ? id : 0
}

providerRoutes.post('/account/connected/:id/disconnect', signedIn, sudoForm, async (c) => {
  const { auth, db, config, features } = c.var
  const id = rowId(c)
  const form = `disconnect-${id}` as const
  const row = (await listConnected(db, auth.userId)).find((r) => r.id === id)
  if (!row) return navigate(c, '/account/connected')
  const sudo = await reauthenticate(c, auth, c.req.valid('form').password)
  if (!sudo.ok) {
    await audit(c, 'provider_disconnect', sudo.outcome, {
      userId: auth.userId,
      method: row.provider,
    })
    return connectedPage(c, { form, message: sudo.message, field: sudo.field }, sudo.status)
  }
  const change = { userId: auth.userId, generation: auth.generation, keepIdHash: auth.idHash }
  const [removed] = await Promise.all([
    disconnectIdentity(db, features, change, id),
    succeeded(db, sudo.rules),
  ])
  if (removed === 'last') {
    const message =
      'This is your only way to sign in: add a passkey or set a password (Set a password, on your account page) first.'
    return connectedPage(c, { form, message }, 409)
  }
  if (removed === 'changed') {
    const { providers } = settingsOf(c as unknown as Context<AppEnv>)
    const label = providers.find((p) => p.id === row.provider)?.label ?? row.provider
    await rotateSession(c, { ...auth, generation: auth.generation + 1 })
    await audit(c, 'provider_disconnect', 'success', { userId: auth.userId, method: row.provider })
    const origin = linkOrigin(c)
    afterResponse(c, 'provider_disconnected', () =>
      deliver(
        c,
        'provider_disconnected',
        disconnectedMail(config.appName, auth.email, label, origin),
      ),
    )
    setFlash(c, DISCONNECTED)
  }
  return navigate(c, '/account/connected')
})
