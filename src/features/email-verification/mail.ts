import { compose } from '../../core/mail/compose'
import { lifetimeInWords } from '../../core/security/secrets'
import { VERIFY } from './secret'

export function verifyEmailMail(app: string, to: string, link: string) {
  return compose(app, {
    to,
    subject: `Confirm your email address for ${app}`,
    lead: `Open this link to confirm that this address belongs to your ${app} account:`,
    link: { href: link, label: 'Confirm my address' },
    rest: [
      `The link works once and expires in ${lifetimeInWords(VERIFY.lifetimeSeconds)}.`,
      `If you did not create a ${app} account, do not open the link: someone else typed your address. To take the account over, reset its password from the sign-in page; that removes whatever they set up.`,
    ],
  })
}
