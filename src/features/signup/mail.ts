import { compose } from '../../core/mail/compose'

export function signupTakenMail(app: string, to: string, origin: string) {
  return compose(app, {
    to,
    subject: `Someone tried to sign up to ${app} with your address`,
    lead: `Someone tried to create a ${app} account with this email address, which already has one. Nothing was changed.`,
    rest: [
      `If it was you, sign in at ${origin}/ or, if you forgot your password, choose a new one at ${origin}/forgot`,
      'If it was not you, you can ignore this message.',
    ],
  })
}
