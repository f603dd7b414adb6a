import { compose } from '../../core/mail/compose'
import { lifetimeInWords } from '../../core/security/secrets'
import { EMAIL_CHANGE } from './secret'

export function emailChangeMail(app: string, to: string, link: string) {
  return compose(app, {
    to,
    subject: `Confirm your new email address for ${app}`,
    lead: `Someone signed in to a ${app} account asked to use this address for it. Open this link to confirm the change:`,
    link: { href: link, label: 'Use this address' },
    rest: [
      `The link works once and expires in ${lifetimeInWords(EMAIL_CHANGE.lifetimeSeconds)}.`,
      'If you did not ask, ignore this message: nothing changes.',
    ],
  })
}

export function emailChangeNoticeMail(app: string, to: string, newEmail: string, origin: string) {
  return compose(app, {
    to,
    subject: `Your ${app} email address is about to change`,
    lead: `Someone signed in to your ${app} account, with its password, asked to change its email address to ${newEmail}. The address changes only when the link sent there is opened.`,
    rest: [
      'If you did this, there is nothing more to do.',
      `If you did not, your password is known to someone else: choose a new one now at ${origin}/forgot`,
    ],
  })
}
