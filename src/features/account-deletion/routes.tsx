import { Hono } from 'hono/tiny'
import * as v from 'valibot'
import type { AppEnv } from '../../core/env'
import { sudoPasswordField } from '../../core/forms/fields'
import { validForm } from '../../core/forms/validate'
import { audit } from '../../core/http/audit'
import { deleteAccount } from '../../core/lifecycle'
import { afterResponse, deliver, linkOrigin } from '../../core/mail/deliver'
import { dropSessionCookie } from '../../core/sessions/cookie'
import { signedIn, type SignedInContext } from '../../core/sessions/guard'
import { reauthenticate } from '../../core/signin/reauth'
import { accountThrottleKey, succeeded } from '../../core/security/throttle'
import { defineNotice, setFlash } from '../../core/ui/flash'
import { navigate, refuse, render } from '../../core/ui/render'
import { accountDeletedMail } from './mail'
import { DeleteCard, DeleteForm } from './views'

export const accountDeletionRoutes = new Hono<AppEnv>()

const DELETED = defineNotice(
  'account_deleted',
  'Your account and everything kept with it are deleted.',
)

// Deletion: ASVS 7.4.2. Password re-checked (sudo mode); then everything in one transaction.
accountDeletionRoutes.get('/account/delete', signedIn, (c) =>
  render(
    c,
    'Delete account',
    <DeleteCard twoFactor={c.var.auth.twoFactor} hasPassword={c.var.auth.hasPassword} />,
  ),
)

const refused = (
  c: SignedInContext,
  status: 400 | 422 | 429,
  error?: string,
  failure?: string,
  codeError?: string,
) => {
  const { twoFactor, hasPassword } = c.var.auth
  const props = { error, failure, codeError, twoFactor, hasPassword }
  return refuse(c, status, 'Delete account', <DeleteForm {...props} />, <DeleteCard {...props} />)
}

const deleteForm = validForm(
  (c) => v.object({ password: sudoPasswordField(c.var.auth?.hasPassword) }),
  (c, errors) => refused(c as SignedInContext, 422, errors.password),
)

accountDeletionRoutes.post('/account/delete', signedIn, deleteForm, async (c) => {
  const { db, config, auth, features } = c.var
  const { password } = c.req.valid('form')
  const recheck = await reauthenticate(c, auth, password)
  if (!recheck.ok) {
    await audit(c, 'account_delete', recheck.outcome, { userId: auth.userId })
    const error = recheck.field === 'password' ? recheck.message : undefined
    const codeError = recheck.field === 'second_factor' ? recheck.message : undefined
    return refused(c, recheck.status, error, recheck.message, codeError)
  }
  // The account's own throttle row goes with it; pair and address rows hold no email (keyed
  // hashes) and expire with their windows.
  const accountKey = await accountThrottleKey(config.sessionSecret, auth.email)
  await deleteAccount(db, features, auth.userId, [accountKey])
  // The session row went with the rest: only the cookie is left to expire.
  dropSessionCookie(c)
  await succeeded(db, recheck.rules)
  await audit(c, 'account_delete', 'success', { userId: auth.userId })
  afterResponse(c, 'account_deleted', () =>
    deliver(c, 'account_deleted', accountDeletedMail(config.appName, auth.email, linkOrigin(c))),
  )
  setFlash(c, DELETED)
  return navigate(c, '/signup')
})
