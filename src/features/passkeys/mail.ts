import { compose } from '../../core/mail/compose'

// ASVS 6.3.7: the owner hears of every passkey added to or removed from the account.

const notMe = (origin: string) =>
  `If this was not you, someone can sign in to your account: choose a new password now at ${origin}/forgot and remove passkeys you do not know at ${origin}/account/passkeys`

export function addedMail(app: string, to: string, name: string, origin: string) {
  return compose(app, {
    to,
    subject: `A passkey was added to your ${app} account`,
    lead: `A passkey named "${name}" was just added to your ${app} account: it can sign in without your password.`,
    rest: [notMe(origin)],
  })
}

export function removedMail(app: string, to: string, name: string, origin: string) {
  return compose(app, {
    to,
    subject: `A passkey was removed from your ${app} account`,
    lead: `The passkey named "${name}" was just removed from your ${app} account; it no longer signs in.`,
    rest: [notMe(origin)],
  })
}
