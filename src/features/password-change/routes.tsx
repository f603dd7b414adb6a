import { Hono } from 'hono/tiny'
import * as v from 'valibot'
import type { AppEnv } from '../../core/env'
import { newPasswordField, sudoPasswordField } from '../../core/forms/fields'
import { validForm } from '../../core/forms/validate'
import { audit } from '../../core/http/audit'
import { breachedPasswordMessage } from '../../core/passwords/breached'
import { hashPassword } from '../../core/passwords/hash'
import { passwordContext } from '../../core/passwords/rules'
import { rotateSession } from '../../core/sessions/cookie'
import { supersededAnswer } from '../../core/sessions/superseded'
import { signedIn, type SignedInContext } from '../../core/sessions/guard'
import { changeCredentials } from '../../core/lifecycle'
import { afterResponse, deliver, linkOrigin } from '../../core/mail/deliver'
import { reauthenticate } from '../../core/signin/reauth'
import { succeeded } from '../../core/security/throttle'
import { defineNotice, setFlash } from '../../core/ui/flash'
import { navigate, refuse, render } from '../../core/ui/render'
import { passwordChangedHereMail } from './mail'
import { PasswordCard, PasswordForm, type PasswordChangeErrors } from './views'

export const passwordChangeRoutes = new Hono<AppEnv>()

const CHECK_FIELDS = 'Check the highlighted fields.'
const PASSWORD_CHANGED = defineNotice(
  'password_changed',
  'Your password is changed. Every other session was signed out.',
)

// Password: ASVS 6.2.2 / 6.2.3 (current and new), 7.4.3 (other sessions end), 7.2.4 (new id). An
// account made by a provider has no current password: the same form sets its first one, after the
// recent sign-in that stands in for it (core/signin/reauth.ts).
passwordChangeRoutes.get('/account/password', signedIn, (c) => {
  const { auth, config } = c.var
  const card = (
    <PasswordCard
      passwordMinLength={config.passwordMinLength}
      twoFactor={auth.twoFactor}
      hasPassword={auth.hasPassword}
    />
  )
  return render(c, titleOf(c), card)
})

const titleOf = (c: SignedInContext) =>
  c.var.auth.hasPassword ? 'Change password' : 'Set a password'

function passwordRefused(
  c: SignedInContext,
  status: 400 | 422 | 429,
  errors: PasswordChangeErrors,
  failure: string,
) {
  const props = {
    errors,
    failure,
    passwordMinLength: c.var.config.passwordMinLength,
    twoFactor: c.var.auth.twoFactor,
    hasPassword: c.var.auth.hasPassword,
  }
  return refuse(c, status, titleOf(c), <PasswordForm {...props} />, <PasswordCard {...props} />)
}

// The new password's rules depend on the configured minimum and on who is asking (signup's rules,
// with the account's own words), so the schema is made per request.
const passwordForm = validForm(
  (c) =>
    v.object({
      current_password: sudoPasswordField(c.var.auth?.hasPassword),
      new_password: newPasswordField(
        c.var.config.passwordMinLength,
        passwordContext(c.var.auth ?? { username: '', email: '' }),
      ),
    }),
  (c, errors) => passwordRefused(c as SignedInContext, 422, errors, CHECK_FIELDS),
)

passwordChangeRoutes.post('/account/password', signedIn, passwordForm, async (c) => {
  const { db, config, auth } = c.var
  const form = c.req.valid('form')
  // The breached-password range check (ASVS 6.2.12) comes before the re-check, which spends the
  // second factor given (a recovery code is gone for good): a refused new password must not cost
  // one. It tells nothing about the account: the range API answers anyone the same.
  const breached = await breachedPasswordMessage(form.new_password, config.pwnedPasswordsUrl)
  if (breached) return passwordRefused(c, 422, { new_password: breached }, CHECK_FIELDS)
  const recheck = await reauthenticate(c, auth, form.current_password)
  if (!recheck.ok) {
    await audit(c, 'password_change', recheck.outcome, { userId: auth.userId })
    const field = recheck.field === 'password' ? 'current_password' : recheck.field
    const errors = field ? { [field]: recheck.message } : {}
    return passwordRefused(c, recheck.status, errors, recheck.message)
  }
  const passwordHash = hashPassword(form.new_password, config.bcryptCost)
  // One transaction: the new hash, a new credential generation, every other session and every
  // pending secret (a reset link, an email change started with the old password) gone.
  const [changed] = await Promise.all([
    changeCredentials(db, auth.userId, { passwordHash, fromGeneration: auth.generation }),
    succeeded(db, recheck.rules),
  ])
  // A reset, a lock or another change landed while this one was checked: it stands, and this
  // session (made under the old generation) no longer loads.
  if (!changed) return supersededAnswer(c)
  const { generation, ended } = changed
  // Every session went, this one too; the browser carries on in a fresh one under the new generation.
  await rotateSession(c, { ...auth, generation, hasPassword: true })
  await audit(c, 'password_change', 'success', { userId: auth.userId, count: ended })
  afterResponse(c, 'password_changed', () =>
    deliver(
      c,
      'password_changed',
      passwordChangedHereMail(config.appName, auth.email, linkOrigin(c)),
    ),
  )
  setFlash(c, PASSWORD_CHANGED)
  return navigate(c, '/account')
})
