import { html } from 'hono/html'
import type { HtmlEscapedString } from 'hono/utils/html'
import type { Mail } from './send'

// Every message names the product (APP_NAME), says why it was sent and what to do if the reader
// did not ask for it, and never holds a password (OWASP Forgot Password Cheat Sheet). Nothing a
// stranger typed (a username at signup, say) is put into a message to someone else.

type Body = HtmlEscapedString | Promise<HtmlEscapedString>

interface Parts {
  to: string
  subject: string
  /** Paragraphs of the message; `link` goes between the first and the rest, on a line of its own. */
  lead: string
  link?: { href: string; label: string }
  rest: string[]
}

async function compose(app: string, parts: Parts): Promise<Mail> {
  const text = [
    parts.lead,
    ...(parts.link ? [parts.link.href] : []),
    ...parts.rest,
    `-- ${app}`,
  ].join('\n\n')
  const body: Body = html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <title>${parts.subject}</title>
      </head>
      <body
        style="font-family: system-ui, sans-serif; line-height: 1.5; color: #1b1f24; max-width: 36em"
      >
        <p>${parts.lead}</p>
        ${
          parts.link
            ? html`<p>
                  <a
                    href="${parts.link.href}"
                    style="display: inline-block; padding: .5em 1em; background: #1f5fbf; color: #fff; text-decoration: none; border-radius: 4px"
                    >${parts.link.label}</a
                  >
                </p>
                <p style="font-size: .9em">
                  Or copy this address into your browser:<br />${parts.link.href}
                </p>`
            : ''
        }
        ${parts.rest.map((p) => html`<p>${p}</p>`)}
        <p style="color: #57606a">${app}</p>
      </body>
    </html>`
  return { to: parts.to, subject: parts.subject, text, html: String(await body) }
}

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

export function verifyEmailMail(app: string, to: string, link: string) {
  return compose(app, {
    to,
    subject: `Confirm your email address for ${app}`,
    lead: `Open this link to confirm that this address belongs to your ${app} account:`,
    link: { href: link, label: 'Confirm my address' },
    rest: [
      'The link works once and expires in 24 hours.',
      `If you did not create a ${app} account, ignore this message.`,
    ],
  })
}

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

export function emailChangeMail(app: string, to: string, link: string) {
  return compose(app, {
    to,
    subject: `Confirm your new email address for ${app}`,
    lead: `Someone signed in to a ${app} account asked to use this address for it. Open this link to confirm the change:`,
    link: { href: link, label: 'Use this address' },
    rest: [
      'The link works once and expires in 60 minutes.',
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
