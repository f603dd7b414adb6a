import type { Context } from 'hono'
import { Hono } from 'hono/tiny'
import * as v from 'valibot'
import { findUserByEmail, markEmailVerified, NO_PASSWORD } from '../../core/db/users'
import type { AppEnv } from '../../core/env'
import { emailField } from '../../core/forms/fields'
import { keptValues, validForm } from '../../core/forms/validate'
import { audit } from '../../core/http/audit'
import { nextFrom, safeNext, withNext } from '../../core/http/next'
import { forgetLinkToken, landLink, linkPageHeaders, linkToken } from '../../core/http/link-token'
import { afterResponse, mailAllowedFor } from '../../core/mail/deliver'
import {
  bindChallenge,
  codeHash,
  forgetChallenge,
  holdsChallenge,
  tryCode,
} from '../../core/security/challenges'
import { changeCredentials, forgetCredentials } from '../../core/lifecycle'
import type { SecretHolder } from '../../core/security/secret-queries'
import { finishSignIn } from '../../core/signin/door'
import { HxLink } from '../../core/ui/components'
import { invalidLink } from '../../core/ui/link-invalid'
import { defineNotice, setFlash, takeFlash } from '../../core/ui/flash'
import { navigate, render } from '../../core/ui/render'
import { codeField, fitsCode, makeCode, normaliseCode, signInCode } from './code'
import { ENTER_PATH, issueCode } from './issue'
import { takePasswordProved } from './password-proved'
import { AskCard, EnterCard, LinkElsewhereCard, LinkHereCard } from './views'

export const emailCodeRoutes = new Hono<AppEnv>()

// The same words whether the code was wrong, replaced, expired, out of tries or never sent (no
// account): which of them it was would tell who has an account (ASVS 6.3.8).
const WRONG =
  'That code did not work. Check it, or ask for a new one: a code works for 10 minutes and 5 tries.'
const LINK_COOKIE = 'code-link'
// The mailed link carries the code itself: it is in the same message anyway, and without this
// browser's challenge cookie it signs nobody in.
const linkKind = {
  ...signInCode,
  shape: { make: makeCode, fits: (t: string) => fitsCode(normaliseCode(t)) },
}

// ---- Asking for a code ----------------------------------------------------------------------------

emailCodeRoutes.get('/signin/code', async (c) => {
  const next = await nextFrom(c)
  return c.render(<AskCard next={next} />, {
    title: 'Sign in with a code',
    sameForEveryone: next ? undefined : 'code-ask',
  })
})

const askForm = validForm(
  () => v.object({ email: emailField }),
  (c, errors, raw) =>
    render(
      c,
      'Sign in with a code',
      <AskCard
        email={keptValues(raw, ['email']).email}
        error={errors.email}
        next={safeNext(raw.next)}
      />,
      422,
    ),
)

emailCodeRoutes.post('/signin/code', askForm, async (c) => {
  const { email } = c.req.valid('form')
  const next = await nextFrom(c)
  // ASVS 6.3.8: the same answer, status and timing for every address, and no statement before it:
  // the browser is bound now (a cookie every asker gets), the lookup, mail limits, challenge row
  // and message come after the answer, and only for an account.
  const store = bindChallenge(c, signInCode)
  afterResponse(c, 'signin_code', async () => {
    // The mail limits as for a reset: the client's first, the recipient's only for an account.
    const { allowed, found: user } = await mailAllowedFor(
      c,
      'signin_code',
      email,
      findUserByEmail(c.var.db, email),
      (user) => user !== undefined,
    )
    if (!user) return audit(c, 'signin_code', 'failure', { reason: 'unknown_email' })
    if (!allowed) return audit(c, 'signin_code', 'throttled', { userId: user.id })
    const send = await issueCode(c, store, user)
    await send()
  })
  return navigate(c, withNext(ENTER_PATH, next))
})

// ---- Entering it ----------------------------------------------------------------------------------

emailCodeRoutes.get(ENTER_PATH, async (c) =>
  render(c, 'Enter your code', <EnterCard flash={takeFlash(c)} next={await nextFrom(c)} />),
)

const enterForm = validForm(
  () => v.object({ code: codeField }),
  (c, errors, raw) =>
    render(c, 'Enter your code', <EnterCard error={errors.code} next={safeNext(raw.next)} />, 422),
)

emailCodeRoutes.post(ENTER_PATH, enterForm, async (c) => {
  c.header('Cache-Control', 'no-store')
  const { config, db } = c.var
  const { code } = c.req.valid('form')
  forgetLinkToken(c, LINK_COOKIE)
  // One round trip: the challenge and its user are read beside the one statement that takes a try,
  // compares and spends (ASVS 6.3.1: 5 tries a code; codes per account and per client are bounded
  // by the mail limits, since a challenge is only stored for a message allowed to go).
  const now = new Date()
  const result = await tryCode(
    c,
    db,
    signInCode,
    await codeHash(config.sessionSecret, signInCode, code),
    now,
  )
  const held = result?.right ? result.held : undefined
  if (!held) {
    const userId = result?.held?.userId
    await audit(c, 'login', 'failure', { userId, reason: 'code', method: 'email-code' })
    const next = await nextFrom(c)
    return render(c, 'Enter your code', <EnterCard failure={WRONG} next={next} />, 400)
  }
  forgetChallenge(c, signInCode)
  if (held.emailVerifiedAt || held.locked) {
    return finishSignIn(c, held, { method: 'email-code', rules: [] })
  }
  if (!(await takePasswordProved(c, config.sessionSecret, held.userId))) {
    return claimUnconfirmed(c, held, now)
  }
  // The password and the inbox, both proved here: the address counts as confirmed from now on.
  const confirm = () => markEmailVerified(db, held.userId, held.email, now)
  const user = { ...held, emailVerifiedAt: now }
  return finishSignIn(c, user, { method: 'email-code', rules: [], alongside: confirm })
})

const CLAIMED = defineNotice(
  'account_claimed',
  'Your address is confirmed. The password, passkeys and connected accounts this account had before were removed, as nobody had proved the address yet: set up what you use again from your account page.',
)

/**
 * The first proof of the inbox on an account whose address was never confirmed: whoever signed
 * up may not own it, so the address's owner gets the account without the ways in set before (the
 * password, passkeys, identities: core/lifecycle.ts `forgetCredentials`), and every session and
 * pending secret ends with a new credential generation. Then the door, which still asks for a
 * second factor: the inbox alone never bypasses one (ASVS 6.5), and a squatter's factor only
 * keeps both out until support removes it.
 */
async function claimUnconfirmed(c: Context<AppEnv>, held: SecretHolder, now: Date) {
  const { db, features } = c.var
  const changed = await changeCredentials(db, held.userId, {
    passwordHash: NO_PASSWORD,
    confirmEmailAt: now,
    alongside: (tx) => forgetCredentials(tx, features, held.userId),
  })
  await audit(c, 'account_claimed', 'success', { userId: held.userId, count: changed.ended })
  setFlash(c, CLAIMED)
  const user = {
    ...held,
    emailVerifiedAt: now,
    generation: changed.generation,
    hasPassword: false,
    sessionCount: 0,
  }
  return finishSignIn(c, user, { method: 'email-code', rules: [] })
}

// ---- The mailed link ------------------------------------------------------------------------------

emailCodeRoutes.get('/signin/code/link/:token{[^/]+}', (c) =>
  landLink(c, linkKind, LINK_COOKIE, '/signin/code/link'),
)

const askAgain = (c: Context) =>
  invalidLink(
    c,
    LINK_COOKIE,
    <p>
      <HxLink href="/signin/code">Ask for a new code</HxLink>
    </p>,
  )

// No statement: the browser that asked holds the challenge cookie and gets the button; any other
// (a forwarded message, a mail scanner) only sees the code to type where it was asked for.
emailCodeRoutes.get('/signin/code/link', (c) => {
  linkPageHeaders(c)
  const code = normaliseCode(linkToken(c, LINK_COOKIE))
  if (!fitsCode(code)) return askAgain(c)
  if (holdsChallenge(c, signInCode)) return render(c, 'Sign in', <LinkHereCard code={code} />)
  forgetLinkToken(c, LINK_COOKIE)
  return render(c, 'Type this code where you asked', <LinkElsewhereCard code={code} />)
})
