import { Hono } from 'hono/tiny'
import * as v from 'valibot'
import { updateUsername } from '../../core/db/users'
import type { AppEnv } from '../../core/env'
import { usernameField } from '../../core/forms/fields'
import { keptValues, validForm } from '../../core/forms/validate'
import { signedIn, signedInWith } from '../../core/sessions/guard'
import { defineNotice, setFlash, takeFlash } from '../../core/ui/flash'
import { navigate, refuse, render } from '../../core/ui/render'
import { newestWithSession, RecentActivity } from '../activity'
import { VerifyReminder } from '../email-verification'
import { AccountCard, UsernameCard, UsernameForm } from './views'

export const accountRoutes = new Hono<AppEnv>()

const USERNAME_CHANGED = defineNotice('username_changed', 'Your username is changed.')

// One statement: the session read brings the user and the newest activity along.
accountRoutes.get('/account', signedInWith(newestWithSession), (c) => {
  const { username, email, memberSince, emailVerified } = c.var.auth
  const remind = c.var.config.emailVerification !== 'off' && !emailVerified
  // Every feature's links, in the order of the feature list.
  const links = c.var.features
    .flatMap((feature) => feature.accountLinks ?? [])
    .filter((link) => !link.forAdmins || c.var.auth.admin)
    .map((link) =>
      c.var.auth.hasPassword ? link : { ...link, label: link.labelWithoutPassword ?? link.label },
    )
  return c.render(
    <AccountCard
      username={username}
      email={email}
      memberSince={memberSince}
      links={links}
      flash={takeFlash(c)}
      notice={remind ? <VerifyReminder /> : undefined}
      activity={<RecentActivity events={c.var.rides} />}
    />,
    { title: 'Your account' },
  )
})

// Username: signup's rules. No password re-check: a display name grants no access.
accountRoutes.get('/account/username', signedIn, (c) =>
  render(c, 'Change username', <UsernameCard value={c.var.auth.username} />),
)

const usernameForm = validForm(
  () => v.object({ username: usernameField }),
  (c, errors, raw) => {
    const value = keptValues(raw, ['username']).username ?? ''
    const error = errors.username
    return refuse(
      c,
      422,
      'Change username',
      <UsernameForm value={value} error={error} />,
      <UsernameCard value={value} error={error} />,
    )
  },
)

accountRoutes.post('/account/username', signedIn, usernameForm, async (c) => {
  const { username } = c.req.valid('form')
  await updateUsername(c.var.db, c.var.auth.userId, username)
  setFlash(c, USERNAME_CHANGED)
  return navigate(c, '/account')
})
