import { compose } from '../../core/mail/compose'
import { lifetimeInWords } from '../../core/security/secrets'
import { EMAIL_CHANGE } from './secret'

export function emailChangeMail(app: string, to: string, link: string, username: string) {
  return compose(app, {
    to,
    subject: `Confirm your new email address for ${app}`,
    lead: `Someone signed in to the ${app} account "${username}" asked to use this address for it. If that is your account, open this link to confirm the change:`,
    link: { href: link, label: 'Use this address' },
    rest: [
      `The link works once and expires in ${lifetimeInWords(EMAIL_CHANGE.lifetimeSeconds)}.`,
      'If it is not your account, do not open the link: the address would become theirs. Ignore this message and nothing changes.',
    ],
  })
}

export function emailChangeNoticeMail(
  app: string,
  to: string,
  newEmail: string,
  origin: string,
  hasPassword: boolean,
) {
  // An account without a password re-authenticated by a recent sign-in (core/signin/reauth.ts):
  // the notice names what was actually used.
  const how = hasPassword ? 'with its password' : 'with a sign-in of the last few minutes'
  const cause = hasPassword
    ? 'your password is known to someone else'
    : 'someone can sign in to it (a provider account or a device of yours)'
  return compose(app, {
    to,
    subject: `Your ${app} email address is about to change`,
    lead: `Someone signed in to your ${app} account, ${how}, asked to change its email address to ${newEmail}. The address changes only when the link sent there is opened.`,
    rest: [
      'If you did this, there is nothing more to do.',
      `If you did not, ${cause}: secure it now at ${origin}/forgot, which also ends the pending change.`,
    ],
  })
}
