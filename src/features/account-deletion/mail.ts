import { compose } from '../../core/mail/compose'

// ASVS 6.3.7: the owner hears that the account is gone, and what to do if they did not do it.
export function accountDeletedMail(app: string, to: string, origin: string) {
  return compose(app, {
    to,
    subject: `Your ${app} account was deleted`,
    lead: `The ${app} account for this address was just deleted from its account page, with everything kept with it.`,
    rest: [
      'If you did this, there is nothing more to do: this is the last message you will get from us.',
      `If you did not, someone had your password. The account cannot be brought back, but you can create a new one at ${origin}/signup, and you should change that password wherever else you use it.`,
    ],
  })
}
