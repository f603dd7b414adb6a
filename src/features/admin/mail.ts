import { compose } from '../../core/mail/compose'

// ASVS 6.3.7: the owner hears of every change support makes to the account, and what to do.
const dateOnly = new Intl.DateTimeFormat('en-GB', { dateStyle: 'long', timeZone: 'UTC' })

export function lockedMail(app: string, to: string, until: Date | null) {
  return compose(app, {
    to,
    subject: `Your ${app} account is locked`,
    lead: `Support locked the ${app} account for this address${until ? ` until ${dateOnly.format(until)}` : ''}: it cannot sign in, and every device it was signed in on is signed out.`,
    rest: ['If you do not know why, reply to this message or contact support.'],
  })
}

export function unlockedMail(app: string, to: string) {
  return compose(app, {
    to,
    subject: `Your ${app} account is unlocked`,
    lead: `Support unlocked the ${app} account for this address: it can sign in again.`,
    rest: ['If you did not expect this, contact support.'],
  })
}

export function signedOutMail(app: string, to: string) {
  return compose(app, {
    to,
    subject: `Your ${app} account was signed out everywhere`,
    lead: `Support signed the ${app} account for this address out on every device.`,
    rest: ['Sign in again with your password. If you did not ask for this, contact support.'],
  })
}

export function factorsRemovedMail(app: string, to: string) {
  return compose(app, {
    to,
    subject: `Two-factor sign-in was turned off on your ${app} account`,
    lead: `Support removed the second factors (authenticator app and recovery codes) of the ${app} account for this address, and signed it out everywhere.`,
    rest: [
      'Sign in with your password and turn two-factor sign-in on again from your account page.',
      'If you did not ask support for this, change your password and contact support.',
    ],
  })
}
