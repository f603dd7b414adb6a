import type { Context } from 'hono'
import { Hono } from 'hono/tiny'
import * as v from 'valibot'
import { encodeBase64urlNoPadding } from '@oslojs/encoding'
import type { AppEnv } from '../../core/env'
import { text } from '../../core/forms/fields'
import { validForm } from '../../core/forms/validate'
import { audit } from '../../core/http/audit'
import { nextFrom, withNext } from '../../core/http/next'
import { countFailure, tooManyAttempts } from '../../core/http/throttled'
import { describeUserAgent } from '../../core/http/user-agent'
import { afterResponse, deliver, linkOrigin } from '../../core/mail/deliver'
import { rotateSession, withSession } from '../../core/sessions/cookie'
import { signedIn, type SignedInContext } from '../../core/sessions/guard'
import {
  forgetChallenge,
  holdsChallenge,
  peekChallenge,
  spendChallenge,
  tryChallenge,
} from '../../core/security/challenges'
import { succeeded } from '../../core/security/throttle'
import { completeSignIn, finishSignIn, PENDING_SECOND_STEP } from '../../core/signin/door'
import { reauthenticate } from '../../core/signin/reauth'
import { countWaysIn } from '../../core/signin/ways-in'
import { defineNotice, setFlash, takeFlash } from '../../core/ui/flash'
import { navigate, render } from '../../core/ui/render'
import { forgetCeremony, heldCeremony, issueCeremony, type Ceremony } from './challenge'
import {
  checkAssertion,
  credentialHash,
  userHandle,
  relyingParty,
  requestOptions,
  TIMEOUT_MS,
} from './assertion'
import { CREDENTIAL_MAX, parseAssertion, parseRegistration } from './credential'
import { addedMail, removedMail } from './mail'
import { sudoRoutes } from './sudo'
import {
  findPasskeyForSignIn,
  insertPasskey,
  listPasskeys,
  recordUse,
  removePasskey,
  renamePasskey,
  spendCeremony,
} from './queries'
import { verifyRegistration, WebAuthnRefusal } from './webauthn'
import {
  NAME_MAX,
  PasskeySecondStepCard,
  PasskeySignInCard,
  PasskeysCard,
  type Refusal,
} from './views'

export const passkeyRoutes = new Hono<AppEnv>()
passkeyRoutes.route('/', sudoRoutes)

const ALGORITHMS = [-7, -257].map((alg) => ({ type: 'public-key', alg }))
const ADDED = defineNotice('passkey_added', 'Your passkey was added.')
const REMOVED = defineNotice('passkey_removed', 'The passkey was removed.')
const RENAMED = defineNotice('passkey_renamed', 'The passkey was renamed.')
const LAST_WAY_IN =
  'This passkey is your only way to sign in. Add another passkey or set a password first.'
const NOT_ACCEPTED = 'That passkey was not accepted. Try again, or sign in another way.'

const defaultName = (c: Context) =>
  describeUserAgent(c.req.header('User-Agent') ?? '').slice(0, NAME_MAX) || 'Passkey'

// ---- Settings: /account/passkeys ----

const boundToUser = (c: SignedInContext) => `user\n${c.var.auth.userId}\n${c.var.auth.generation}`

async function settings(c: SignedInContext, refusal?: Refusal, status: 200 | 400 | 409 = 200) {
  const { auth, db, config } = c.var
  c.header('Cache-Control', 'no-store')
  const keys = await listPasskeys(db, auth.userId)
  const { rpId } = relyingParty(c)
  const options = {
    challenge: await issueCeremony(c, 'add', boundToUser(c)),
    rp: { id: rpId, name: config.appName },
    user: {
      id: await userHandle(config.sessionSecret, auth.userId),
      name: auth.email,
      displayName: auth.username,
    },
    pubKeyCredParams: ALGORITHMS,
    timeout: TIMEOUT_MS,
    attestation: 'none',
    // A discoverable credential with user verification: it alone signs in (both factors).
    authenticatorSelection: {
      residentKey: 'required',
      requireResidentKey: true,
      userVerification: 'required',
    },
    // The same authenticator is not registered twice (WebAuthn 5.4 excludeCredentials).
    excludeCredentials: keys.map((k) => ({ type: 'public-key', id: k.credentialId })),
  }
  const flash = refusal ? undefined : takeFlash(c)
  const removed = flash?.notice.id === REMOVED.id
  const card = (
    <PasskeysCard
      keys={keys}
      signal={removed ? { rpId, userId: options.user.id } : undefined}
      options={options}
      twoFactor={auth.twoFactor}
      hasPassword={auth.hasPassword}
      defaultName={defaultName(c)}
      flash={flash}
      refusal={refusal}
    />
  )
  return render(c, 'Passkeys', card, status)
}

passkeyRoutes.get('/account/passkeys', signedIn, (c) => settings(c))

const nameField = v.pipe(
  text,
  v.transform((s) => s.trim().normalize('NFC')),
  v.nonEmpty('Give the passkey a name.'),
  v.maxLength(NAME_MAX, `At most ${NAME_MAX} characters.`),
)

const addForm = validForm(
  () =>
    v.object({
      credential: v.pipe(text, v.maxLength(CREDENTIAL_MAX)),
      name: nameField,
      password: text,
    }),
  (c, errors) =>
    settings(
      c as SignedInContext,
      { form: 'add', message: errors.name ?? 'Try adding the passkey again.', field: 'name' },
      400,
    ),
)

passkeyRoutes.post('/account/passkeys/add', signedIn, addForm, async (c) => {
  const { auth, db, config } = c.var
  const form = c.req.valid('form')
  const refused = (message: string, field?: Refusal['field'], status: 400 | 409 = 400) =>
    settings(c, { form: 'add', message, field }, status)
  const parsed = parseRegistration(form.credential)
  const held = await heldCeremony(c, 'add', boundToUser(c))
  if (!parsed || !held) return refused('Try adding the passkey again.')
  // The passkey is checked before sudo mode, which spends the second factor given (a recovery
  // code is gone for good): a passkey refused for its own reasons must not cost one.
  let verified
  try {
    verified = await verifyRegistration(parsed.response, {
      challenge: held.challenge,
      ...relyingParty(c),
      userVerification: true,
    })
  } catch (error) {
    if (!(error instanceof WebAuthnRefusal)) throw error
    await audit(c, 'passkey_add', 'failure', { userId: auth.userId, reason: error.reason })
    return refused('That passkey could not be added. Try again.')
  }
  // Sudo mode (core/signin/reauth.ts): the password, and the second factor when there is one.
  const sudo = await reauthenticate(c, auth, form.password)
  if (!sudo.ok) {
    await audit(c, 'passkey_add', sudo.outcome, { userId: auth.userId })
    return refused(sudo.message, sudo.field)
  }
  const now = new Date()
  const id = encodeBase64urlNoPadding(verified.credentialId)
  // The challenge is spent first: a replayed registration stores nothing.
  const spent = await spendCeremony(db, held.tokenHash, held.expiresAt)
  const change = { userId: auth.userId, generation: auth.generation, keepIdHash: auth.idHash }
  const inserted =
    spent &&
    (await insertPasskey(db, change, {
      credentialHash: await credentialHash(verified.credentialId),
      credentialId: id,
      name: form.name,
      publicKey: JSON.stringify(verified.key.jwk),
      algorithm: verified.key.algorithm,
      signCount: verified.counter,
      createdAt: now,
    }))
  await succeeded(db, sudo.rules)
  if (!spent) return refused('Try adding the passkey again.')
  if (inserted === 'stale') return navigate(c, '/account/passkeys')
  if (inserted === 'duplicate') {
    await audit(c, 'passkey_add', 'failure', { userId: auth.userId, reason: 'duplicate' })
    return refused('That passkey is already registered.', undefined, 409)
  }
  forgetCeremony(c, 'add')
  // The change moved the generation on and ended every other session; this one starts afresh.
  await rotateSession(c, { ...auth, generation: auth.generation + 1 })
  await audit(c, 'passkey_add', 'success', { userId: auth.userId })
  notify(c, 'passkey_added', (origin) => addedMail(config.appName, auth.email, form.name, origin))
  setFlash(c, ADDED)
  return navigate(c, '/account/passkeys')
})

const renameForm = validForm(
  () => v.object({ name: nameField }),
  (c, errors) =>
    settings(
      c as SignedInContext,
      { form: `rename-${keyId(c)}`, message: errors.name ?? 'Give the passkey a name.' },
      400,
    ),
)

function keyId(c: Context) {
  const id = Number(c.req.param('id'))
  return Number.isSafeInteger(id) && id > 0 ? id : 0
}

passkeyRoutes.post('/account/passkeys/:id/rename', signedIn, renameForm, async (c) => {
  const { auth, db } = c.var
  await renamePasskey(db, auth.userId, keyId(c), c.req.valid('form').name)
  setFlash(c, RENAMED)
  return navigate(c, '/account/passkeys')
})

const removeForm = validForm(
  () => v.object({ password: text }),
  (c) => navigate(c, '/account/passkeys'),
)

passkeyRoutes.post('/account/passkeys/:id/remove', signedIn, removeForm, async (c) => {
  const { auth, db, config } = c.var
  const id = keyId(c)
  const form = `remove-${id}` as const
  const [keys, ways] = await Promise.all([
    listPasskeys(db, auth.userId),
    countWaysIn(db, c.var.features, auth.userId),
  ])
  const key = keys.find((k) => k.id === id)
  if (!key) return navigate(c, '/account/passkeys')
  // The last way in stays (NIST SP 800-63B-4 4.2), said before the password is asked for: an
  // account without one could not get past it. removePasskey checks again under its lock.
  if (ways <= 1) return settings(c, { form, message: LAST_WAY_IN }, 409)
  const sudo = await reauthenticate(c, auth, c.req.valid('form').password)
  if (!sudo.ok) {
    await audit(c, 'passkey_remove', sudo.outcome, { userId: auth.userId })
    return settings(c, { form, message: sudo.message, field: sudo.field }, 400)
  }
  const change = { userId: auth.userId, generation: auth.generation, keepIdHash: auth.idHash }
  const [removed] = await Promise.all([
    removePasskey(db, c.var.features, change, id),
    succeeded(db, sudo.rules),
  ])
  if (removed === 'last') return settings(c, { form, message: LAST_WAY_IN }, 409)
  if (removed === 'changed') {
    await rotateSession(c, { ...auth, generation: auth.generation + 1 })
    await audit(c, 'passkey_remove', 'success', { userId: auth.userId })
    notify(c, 'passkey_removed', (origin) =>
      removedMail(config.appName, auth.email, key.name, origin),
    )
    // The passkeys page tells the browser's password manager which keys remain (Signal API).
    setFlash(c, REMOVED)
  }
  return navigate(c, '/account/passkeys')
})

function notify(
  c: SignedInContext,
  job: string,
  mail: (origin: string) => ReturnType<typeof addedMail>,
) {
  const origin = linkOrigin(c)
  afterResponse(c, job, () => deliver(c, job, mail(origin)))
}

// ---- Sign in with a passkey: /login/passkey ----

async function signInPage(
  c: Context<AppEnv>,
  failure?: string,
  status: 200 | 400 | 429 = 200,
  unknownId?: string,
) {
  c.header('Cache-Control', 'no-store')
  // Where the person was going, from the sign-in page's load or the form (as the password form).
  const next = await nextFrom(c)
  const { rpId } = relyingParty(c)
  const options = requestOptions(await issueCeremony(c, 'signin', ''), rpId)
  // A passkey the server does not know: the page tells the browser's password manager (Signal
  // API), so it stops offering one whose key was removed or whose account was deleted.
  const unknown = unknownId ? { rpId, credentialId: unknownId } : undefined
  return render(
    c,
    'Sign in with a passkey',
    <PasskeySignInCard options={options} failure={failure} unknown={unknown} next={next} />,
    status,
  )
}

passkeyRoutes.get('/login/passkey', withSession, (c) => {
  if (c.var.auth) return navigate(c, '/welcome')
  return signInPage(c)
})

const assertionForm = validForm(
  () => v.object({ credential: v.pipe(text, v.maxLength(CREDENTIAL_MAX)) }),
  (c) => navigate(c, '/login/passkey'),
)

passkeyRoutes.post('/login/passkey', withSession, assertionForm, async (c) => {
  const { db } = c.var
  const parsed = parseAssertion(c.req.valid('form').credential)
  const held = await heldCeremony(c, 'signin', '')
  const fail = async (reason: string, userId?: number) => {
    // Counted after the fact (ASVS 6.3.1, `countFailure`); over the allowance the answer is 429.
    const reservation = await countFailure(c, 'passkey')
    await audit(c, 'login', reservation.allowed ? 'failure' : 'throttled', {
      userId,
      method: 'passkey',
      reason,
    })
    if (!reservation.allowed) return signInPage(c, tooManyAttempts(c, reservation), 429)
    const unknown = reason === 'unknown_credential' ? parsed?.id : undefined
    return signInPage(c, NOT_ACCEPTED, 400, unknown)
  }
  if (!parsed || !held) return fail(parsed ? 'no_challenge' : 'malformed')
  // Round trip 1: spend the challenge and read the credential with its account, together.
  const [spent, found] = await Promise.all([
    spendCeremony(db, held.tokenHash, held.expiresAt),
    findPasskeyForSignIn(db, await credentialHash(parsed.rawId)),
  ])
  if (!spent) return fail('replayed')
  if (!found) return fail('unknown_credential')
  // The account is the one the credential's row names, proven by its key's signature. The user
  // handle is not compared (WebAuthn L3 7.2 step 6): it is outside what the authenticator signs,
  // and ours is an HMAC under SESSION_SECRET, so after a rotation of that secret every passkey
  // would answer with a handle that no longer matches and none could sign in.
  // User verification is required: this passkey is both factors (no password, no TOTP step).
  const check = await checkAssertion(c, parsed.response, held.challenge, found, true)
  if ('reason' in check) return fail(check.reason, found.id)
  // Round trip 2: the counter and last use beside the session, in the door. The counter update
  // is conditional: a parallel sign-in that wrote first (a cloned key replaying the counter) makes
  // it change nothing, and the door then ends the session it started and answers this refusal.
  return finishSignIn(c, found, {
    method: 'passkey',
    rules: [],
    multiFactor: true,
    alongside: async () => forgetCeremony(c, 'signin'),
    standsOn: {
      write: () => recordUse(db, found.passkeyId, check.counter, new Date()),
      refused: () => fail('counter', found.id),
    },
  })
})

// ---- The second step with a passkey: /login/two-factor/passkey ----

const PENDING_BOUND = (tokenHash: string) => `pending\n${tokenHash}`

passkeyRoutes.get('/login/two-factor/passkey', withSession, async (c) => {
  // As the code's page (features/two-factor): a signed-in browser with a sign-in waiting for its
  // second step (signing in again to confirm a change) gets the step.
  if (c.var.auth && !holdsChallenge(c, PENDING_SECOND_STEP)) return navigate(c, '/welcome')
  c.header('Cache-Control', 'no-store')
  const { db } = c.var
  const held = await peekChallenge(c, db, PENDING_SECOND_STEP)
  if (!held) return navigate(c, withNext('/login/two-factor', await nextFrom(c)))
  return secondStepPage(c, held.userId, held.tokenHash)
})

async function secondStepPage(
  c: Context<AppEnv>,
  userId: number,
  pendingHash: string,
  failure?: string,
  status: 200 | 400 = 200,
) {
  const keys = await listPasskeys(c.var.db, userId)
  const challenge = await issueCeremony(c, '2fa', PENDING_BOUND(pendingHash))
  // After the password, presence is what a second factor needs; UV is asked for where offered.
  const options = requestOptions(
    challenge,
    relyingParty(c).rpId,
    keys.map((k) => k.credentialId),
    'preferred',
  )
  const next = await nextFrom(c)
  return render(
    c,
    'Use your passkey',
    <PasskeySecondStepCard options={options} failure={failure} next={next} />,
    status,
  )
}

passkeyRoutes.post('/login/two-factor/passkey', withSession, assertionForm, async (c) => {
  const { db } = c.var
  const parsed = parseAssertion(c.req.valid('form').credential)
  c.header('Cache-Control', 'no-store')
  // The pending sign-in's try is reserved with its read (its 5 tries), before anything is checked.
  const pending = await tryChallenge(c, db, PENDING_SECOND_STEP)
  if (!pending) {
    forgetChallenge(c, PENDING_SECOND_STEP)
    return navigate(c, withNext('/login/two-factor', await nextFrom(c)))
  }
  const ceremony: Ceremony = '2fa'
  const held = await heldCeremony(c, ceremony, PENDING_BOUND(pending.tokenHash))
  const refused = async (reason: string) => {
    await audit(c, 'login_second_step', 'failure', {
      userId: pending.userId,
      method: 'passkey',
      reason,
    })
    return secondStepPage(c, pending.userId, pending.tokenHash, NOT_ACCEPTED, 400)
  }
  if (!parsed || !held) return refused(parsed ? 'no_challenge' : 'malformed')
  const [spent, found] = await Promise.all([
    spendCeremony(db, held.tokenHash, held.expiresAt),
    findPasskeyForSignIn(db, await credentialHash(parsed.rawId)),
  ])
  if (!spent) return refused('replayed')
  // The credential must belong to the account the password proved.
  if (!found || found.id !== pending.userId) return refused('unknown_credential')
  const check = await checkAssertion(c, parsed.response, held.challenge, found, false)
  if ('reason' in check) return refused(check.reason)
  return completeSignIn(c, found, {
    method: 'passkey',
    rules: [],
    alongside: async () => {
      await spendChallenge(db, pending)
      forgetChallenge(c, PENDING_SECOND_STEP)
      forgetCeremony(c, ceremony)
    },
    // As at /login/passkey: a counter another request moved on first refuses this one.
    standsOn: {
      write: () => recordUse(db, found.passkeyId, check.counter, new Date()),
      refused: () => refused('counter'),
    },
  })
})
