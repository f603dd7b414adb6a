import { compose } from '../../core/mail/compose'

// ASVS 6.3.7: the owner hears of a password change made from a signed-in session.
export function passwordChangedHereMail(app: string, to: string, origin: string) {
  return compose(app, {
    to,
    subject: `Your ${app} password was changed`,
    lead: `The password of your ${app} account was just changed from its account page, and every other device that was signed in to it was signed out.`,
    rest: [
      'If you did this, there is nothing more to do.',
      `If you did not, someone has your password and a signed-in session: choose a new password now at ${origin}/forgot, which signs out every device.`,
    ],
  })
}
