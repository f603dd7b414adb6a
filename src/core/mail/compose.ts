import { html } from 'hono/html'
import type { HtmlEscapedString } from 'hono/utils/html'
import type { Mail } from './send'

// Every message names the product (APP_NAME), says why it was sent and what to do if the reader
// did not ask for it, and never holds a password (OWASP Forgot Password Cheat Sheet). Nothing a
// stranger typed (a username at signup, say) is put into a message to someone else.

type Body = HtmlEscapedString | Promise<HtmlEscapedString>

export interface Parts {
  to: string
  subject: string
  /** Paragraphs of the message; `link` goes between the first and the rest, on a line of its own. */
  lead: string
  link?: { href: string; label: string }
  rest: string[]
}

/** A message in both parts, text and HTML, from its paragraphs and its one link. */
export async function compose(app: string, parts: Parts): Promise<Mail> {
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
