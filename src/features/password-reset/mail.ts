import { compose } from '../../core/mail/compose'

export function passwordResetMail(app: string, to: string, link: string, minutes: number) {
  return compose(app, {
    to,
    subject: `Reset your ${app} password`,
    lead: `Someone asked to reset the password of the ${app} account for this address. If it was you, open this link to choose a new password:`,
    link: { href: link, label: 'Choose a new password' },
    rest: [
      `The link works once and expires in ${minutes} minutes.`,
      'If you did not ask, ignore this message: your password stays as it is.',
    ],
  })
}

export function passwordChangedMail(app: string, to: string, origin: string) {
  return compose(app, {
    to,
    subject: `Your ${app} password was changed`,
    lead: `The password of your ${app} account was just changed, and every device that was signed in to it was signed out.`,
    rest: [
      'If you did this, there is nothing more to do.',
      `If you did not, choose a new password now at ${origin}/forgot`,
    ],
  })
}
