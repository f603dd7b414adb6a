import { describeUserAgent } from '../../core/http/user-agent'
import { compose } from '../../core/mail/compose'
import { showCode } from './code'

/** Where a request came from, in the words of the sessions list: browser, system, place. */
export interface RequestPlace {
  userAgent: string
  location: string
}

export function signInCodeMail(
  app: string,
  to: string,
  code: string,
  link: string,
  from: RequestPlace,
) {
  const where = `${describeUserAgent(from.userAgent)}${from.location ? `, near ${from.location}` : ''}`
  return compose(app, {
    to,
    subject: `Your ${app} sign-in code`,
    lead: `Your code to sign in to ${app} is ${showCode(code)}. Type it on the page where you asked for it, or open this link in that same browser:`,
    link: { href: link, label: 'Sign in' },
    rest: [
      `It was asked for from ${where} (the place is approximate). The code works once, for 10 minutes.`,
      'If it was not you, ignore this message and give the code to nobody: without it nobody can sign in, and nobody from us will ever ask for it. If such messages keep coming, someone may be trying your address: make sure your password is a strong one.',
    ],
  })
}
