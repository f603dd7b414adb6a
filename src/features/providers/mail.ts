import { compose } from '../../core/mail/compose'

// ASVS 6.3.7: the owner hears of every way in added to or removed from the account.

const notMe = (origin: string) =>
  `If this was not you, someone else can sign in to your account: secure it now at ${origin}/forgot and check ${origin}/account/connected`

export function connectedMail(app: string, to: string, label: string, origin: string) {
  return compose(app, {
    to,
    subject: `${label} was connected to your ${app} account`,
    lead: `A ${label} account was just connected to your ${app} account: it can now sign in to it.`,
    rest: [notMe(origin)],
  })
}

export function disconnectedMail(app: string, to: string, label: string, origin: string) {
  return compose(app, {
    to,
    subject: `${label} was disconnected from your ${app} account`,
    lead: `A ${label} account was just disconnected from your ${app} account; it no longer signs in to it.`,
    rest: [notMe(origin)],
  })
}
