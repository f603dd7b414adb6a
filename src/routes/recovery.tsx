import type { Context } from 'hono'
import { Hono } from 'hono/tiny'
import { deleteCookie, getCookie, setCookie } from 'hono/cookie'
import { checkNewPassword, hashPassword } from '../auth/passwords'
import { breachedPasswordMessage } from '../auth/pwned-passwords'
import { endAllSessions } from '../auth/sessions'
import {
  isTokenShaped,
  issueToken,
  peekToken,
  spendToken,
  VERIFY_TOKEN_SECONDS,
} from '../auth/tokens'
import { audit } from '../audit'
import { deleteUserTokens } from '../db/tokens'
import { findUserByEmail, markEmailVerified, resetPassword } from '../db/users'
import type { AppEnv } from '../env'
import { setFlash } from '../flash'
import { emailError, normaliseEmail } from '../forms'
import { afterResponse, deliver, linkOrigin, mailAllowed } from '../mail/deliver'
import { passwordChangedMail, passwordResetMail, verifyEmailMail } from '../mail/templates'
import { cookiePolicy, withSession } from '../session-cookie'
import { navigate, render } from '../views/render'
import {
  ForgotCard,
  ForgotSentCard,
  LinkInvalidCard,
  ResetCard,
  VerifyCard,
  VerifySentCard,
  type LinkKind,
} from '../views/recovery'

export const recoveryRoutes = new Hono<AppEnv>()

type FormBody = Record<string, string | File | (string | File)[]>
const field = (body: FormBody, name: string) => {
  const value = body[name]
  return typeof value === 'string' ? value : ''
}

// ---- Links: the token leaves the URL before anything is shown ------------------------------------
// A link's GET only moves its token into a short-lived HttpOnly cookie and redirects to a token-free
// URL; that page shows a form and the change is a POST. Mail scanners that prefetch links change
// nothing, and the token never reaches history, logs or a Referer (OWASP Forgot Password Cheat Sheet).

/** Headers for every page that handles a link's token. */
function linkPageHeaders(c: Context) {
  c.header('Referrer-Policy', 'no-referrer')
  c.header('Cache-Control', 'no-store')
}

/** GET of a mailed link: keep the token in a cookie for `maxAge` seconds, then show `path`. */
export function landLink(c: Context, cookie: string, path: string, maxAge: number) {
  linkPageHeaders(c)
  const token = c.req.param('token')
  const { name, options } = cookiePolicy(c, cookie, maxAge)
  if (isTokenShaped(token)) setCookie(c, name, token, options)
  else deleteCookie(c, name, options)
  return c.redirect(path, 303)
}

/** The token a link left in its cookie, if any. */
export function linkToken(c: Context, cookie: string): string {
  const { name, options } = cookiePolicy(c, cookie)
  return getCookie(c, name, options.prefix) ?? ''
}

export function forgetLinkToken(c: Context, cookie: string) {
  const { name, options } = cookiePolicy(c, cookie)
  deleteCookie(c, name, options)
}

/** The page for an expired, used, replaced or forged link (400), with the way to ask again. */
export function invalidLink(c: Context, cookie: string, kind: LinkKind) {
  forgetLinkToken(c, cookie)
  return render(c, 'Link expired', <LinkInvalidCard kind={kind} />, 400)
}

// ---- Forgot password ------------------------------------------------------------------------------

recoveryRoutes.get('/forgot', (c) => render(c, 'Forgot password', <ForgotCard />))

recoveryRoutes.post('/forgot', async (c) => {
  const email = normaliseEmail(field(await c.req.parseBody(), 'email'))
  // Only the shape of what was typed decides this answer, never the database.
  const error = emailError(email)
  if (error) return render(c, 'Forgot password', <ForgotCard email={email} error={error} />, 422)
  // ASVS 6.3.8: the same answer, status and timing for every address. Throttling, lookup, token and
  // sending all happen after the response.
  afterResponse(c, 'reset', async () => {
    const { config, db } = c.var
    const [allowed, user] = await Promise.all([
      mailAllowed(c, 'reset', email),
      findUserByEmail(db, email),
    ])
    if (!allowed || !user) return
    const minutes = config.resetTokenMinutes
    const token = await issueToken(db, {
      userId: user.id,
      purpose: 'reset',
      ttlSeconds: minutes * 60,
    })
    const link = `${linkOrigin(c)}/reset/${token}`
    await deliver(c, 'reset', passwordResetMail(config.appName, user.email, link, minutes))
  })
  return navigate(c, '/forgot/sent')
})

recoveryRoutes.get('/forgot/sent', (c) =>
  render(c, 'Check your inbox', <ForgotSentCard minutes={c.var.config.resetTokenMinutes} />),
)

// ---- Reset ----------------------------------------------------------------------------------------

const RESET_COOKIE = 'reset'

recoveryRoutes.get('/reset/:token{[^/]+}', (c) =>
  landLink(c, RESET_COOKIE, '/reset', c.var.config.resetTokenMinutes * 60),
)

recoveryRoutes.get('/reset', async (c) => {
  linkPageHeaders(c)
  const holder = await peekToken(c.var.db, linkToken(c, RESET_COOKIE), 'reset')
  if (!holder) return invalidLink(c, RESET_COOKIE, 'reset')
  const min = c.var.config.passwordMinLength
  return render(c, 'New password', <ResetCard email={holder.email} passwordMinLength={min} />)
})

recoveryRoutes.post('/reset', async (c) => {
  linkPageHeaders(c)
  const { config, db } = c.var
  const password = field(await c.req.parseBody(), 'password')
  const token = linkToken(c, RESET_COOKIE)
  // The breached-password range check runs beside the token read (ASVS 6.2.12).
  const [holder, breached] = await Promise.all([
    peekToken(db, token, 'reset'),
    password === '' ? null : breachedPasswordMessage(password, config.pwnedPasswordsUrl),
  ])
  if (!holder) return invalidLink(c, RESET_COOKIE, 'reset')
  // The signup rules, with this account's name and address as context words (ASVS 6.2.4).
  const context = [holder.username, holder.email.split('@')[0] ?? '']
  const problem =
    password === ''
      ? 'Choose a password.'
      : (checkNewPassword(password, config.passwordMinLength, context) ?? breached)
  if (problem) {
    const card = (
      <ResetCard
        email={holder.email}
        error={problem}
        passwordMinLength={config.passwordMinLength}
      />
    )
    return render(c, 'New password', card, 422)
  }
  const passwordHash = hashPassword(password, config.bcryptCost)
  // Single use: of two requests racing with one link, only the one whose delete removed it goes on.
  if (!(await spendToken(db, token))) return invalidLink(c, RESET_COOKIE, 'reset')
  // ASVS 7.4.3 / 6.4.3: a reset ends every session, wherever it is.
  // The user's other links go too: an email change someone else started with the old password must
  // not outlive the reset (OWASP: a reset invalidates what the old credentials set in motion).
  const [, ended] = await Promise.all([
    resetPassword(db, holder.userId, passwordHash, new Date()),
    endAllSessions(db, holder.userId),
    deleteUserTokens(db, holder.userId),
  ])
  forgetLinkToken(c, RESET_COOKIE)
  await audit(c, 'password_reset', 'success', { userId: holder.userId, count: ended })
  // The person signs in with the new password rather than being signed in here: the link proves
  // control of the inbox, not knowledge of the password; signing in once confirms the password
  // manager kept it, and sign-in stays the one door that throttles and audits (ASVS 6.4 allows
  // either; a later second factor could not be skipped this way).
  setFlash(c, { notice: 'password_reset' })
  afterResponse(c, 'password_changed', () =>
    deliver(
      c,
      'password_changed',
      passwordChangedMail(config.appName, holder.email, linkOrigin(c)),
    ),
  )
  return navigate(c, '/')
})

// ---- Address verification ---------------------------------------------------------------------------

const VERIFY_COOKIE = 'verify'

/**
 * Issues a verification link for the user's current address and mails it, within the mail limits.
 * Called after the response (signup, resend).
 */
export async function sendVerification(c: Context<AppEnv>, user: { id: number; email: string }) {
  if (!(await mailAllowed(c, 'verify', user.email))) return
  const token = await issueToken(c.var.db, {
    userId: user.id,
    purpose: 'verify',
    ttlSeconds: VERIFY_TOKEN_SECONDS,
    newEmail: user.email,
  })
  const link = `${linkOrigin(c)}/verify/${token}`
  await deliver(c, 'verify', verifyEmailMail(c.var.config.appName, user.email, link))
}

// Before the link route, which would take `sent` for a token.
recoveryRoutes.get('/verify/sent', (c) => render(c, 'Check your inbox', <VerifySentCard />))

recoveryRoutes.get('/verify/:token{[^/]+}', (c) =>
  landLink(c, VERIFY_COOKIE, '/verify', VERIFY_TOKEN_SECONDS),
)

/** The holder of the verify token in the cookie, when the link still names the account's address. */
async function verifyHolder(c: Context<AppEnv>) {
  const holder = await peekToken(c.var.db, linkToken(c, VERIFY_COOKIE), 'verify')
  return holder && holder.newEmail === holder.email ? holder : undefined
}

recoveryRoutes.get('/verify', async (c) => {
  linkPageHeaders(c)
  const holder = await verifyHolder(c)
  if (!holder) return invalidLink(c, VERIFY_COOKIE, 'verify')
  return render(c, 'Confirm your address', <VerifyCard email={holder.email} />)
})

recoveryRoutes.post('/verify', withSession, async (c) => {
  linkPageHeaders(c)
  const { db } = c.var
  const token = linkToken(c, VERIFY_COOKIE)
  const holder = await verifyHolder(c)
  if (!holder || !(await spendToken(db, token))) return invalidLink(c, VERIFY_COOKIE, 'verify')
  const marked = await markEmailVerified(db, holder.userId, holder.email, new Date())
  if (!marked) return invalidLink(c, VERIFY_COOKIE, 'verify')
  forgetLinkToken(c, VERIFY_COOKIE)
  await audit(c, 'email_verify', 'success', { userId: holder.userId })
  if (c.var.auth?.userId === holder.userId) return navigate(c, '/welcome')
  setFlash(c, { notice: 'email_verified' })
  return navigate(c, '/')
})

recoveryRoutes.post('/verify/resend', withSession, async (c) => {
  const auth = c.var.auth
  const typed = normaliseEmail(field(await c.req.parseBody(), 'email'))
  const email = auth ? auth.email : typed
  if (!auth && emailError(email)) return navigate(c, '/verify/sent')
  // The same answer whether the address has an account, is confirmed already, or is unknown.
  if (c.var.config.emailVerification !== 'off' && !auth?.emailVerified) {
    afterResponse(c, 'verify', async () => {
      const user = auth ? { id: auth.userId, email } : await findUserByEmail(c.var.db, email)
      if (!user || ('emailVerifiedAt' in user && user.emailVerifiedAt)) return
      await sendVerification(c, user)
    })
  }
  return navigate(c, '/verify/sent')
})
