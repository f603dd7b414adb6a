import { compose } from '../../core/mail/compose'

// ASVS 6.3.7: the owner hears of every change to how the account is signed in to, and of every
// recovery code used, with what to do if it was not them.

const notMe = (origin: string) =>
  `If this was not you, someone knows your password: choose a new one now at ${origin}/forgot`

export function enabledMail(app: string, to: string, origin: string) {
  return compose(app, {
    to,
    subject: `Two-factor sign-in is on for your ${app} account`,
    lead: `Two-factor sign-in was just turned on for your ${app} account: signing in now asks for a code from an authenticator app.`,
    rest: [notMe(origin)],
  })
}

export function disabledMail(app: string, to: string, origin: string) {
  return compose(app, {
    to,
    subject: `Two-factor sign-in is off for your ${app} account`,
    lead: `Two-factor sign-in was just turned off for your ${app} account: signing in now asks only for the password.`,
    rest: [notMe(origin)],
  })
}

export function regeneratedMail(app: string, to: string, origin: string) {
  return compose(app, {
    to,
    subject: `New recovery codes for your ${app} account`,
    lead: `New recovery codes were just made for your ${app} account; the earlier ones no longer work.`,
    rest: [notMe(origin)],
  })
}

export function recoveryCodeUsedMail(app: string, to: string, left: number, origin: string) {
  return compose(app, {
    to,
    subject: `A recovery code was used for your ${app} account`,
    lead: `A recovery code was just used to sign in to your ${app} account. ${left} ${left === 1 ? 'code is' : 'codes are'} left.`,
    rest: [`Make new ones at ${origin}/account/two-factor when few are left.`, notMe(origin)],
  })
}
