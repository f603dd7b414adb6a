import { EmailMessage } from 'cloudflare:email'
import type { Config } from '../config'
import { buildMime } from './mime'

/** One message: who gets it and what it says, as plain text and as HTML. Never a password. */
export interface Mail {
  to: string
  subject: string
  text: string
  html: string
}

/**
 * Sends through the `send_email` binding (Cloudflare Email Service) as a raw RFC 5322 message.
 * The raw form rather than the builder: the bytes sent are exactly the bytes that `wrangler dev`
 * and the tests' simulated binding write to one .eml file, so the local outbox shows what
 * production delivers.
 */
export async function sendMail(
  binding: SendEmail,
  config: Pick<Config, 'appName' | 'mailFrom'>,
  mail: Mail,
): Promise<void> {
  const raw = buildMime({ from: config.mailFrom, fromName: config.appName, ...mail })
  await binding.send(new EmailMessage(config.mailFrom, mail.to, raw))
}
