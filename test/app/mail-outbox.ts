import { env } from 'cloudflare:test'
import type { SentMail } from '../../dev/outbox'
import { fromMountUrl, MOUNT } from './mounted'

declare global {
  namespace Cloudflare {
    interface Env {
      /** Node-side reader of the .eml files the simulated EMAIL binding wrote (vitest.config.ts). */
      OUTBOX: Fetcher
    }
  }
}

export type { SentMail }

// The links of a message as the tests read them: in product paths under a mount (./mounted.ts).
const LINK = /https?:\/\/[^\s"<>]+/g
const inProductPaths = (text: string) => text.replace(LINK, (url) => fromMountUrl(url))

/** Every message the Worker sent to `to` so far, oldest first, read back from its .eml file. */
export async function sentTo(to: string): Promise<SentMail[]> {
  const res = await env.OUTBOX.fetch(`http://outbox/?to=${encodeURIComponent(to)}`)
  const mails = await res.json<SentMail[]>()
  if (!MOUNT) return mails
  return mails.map((m) => ({
    ...m,
    text: inProductPaths(m.text),
    html: inProductPaths(m.html),
    link: m.link && fromMountUrl(m.link),
  }))
}

/**
 * Waits until `to` has received the `nth` message whose subject contains `subject` (mail leaves
 * after the response, in waitUntil) and returns it.
 */
export async function waitForMail(
  to: string,
  subject: string,
  nth = 1,
  timeoutMs = 5000,
): Promise<SentMail> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const mails = (await sentTo(to)).filter((m) => m.subject.includes(subject))
    if (mails.length >= nth) return mails[nth - 1]!
    if (Date.now() > deadline) {
      throw new Error(`expected ${nth} "${subject}" message(s), found ${mails.length}`)
    }
    await new Promise((r) => setTimeout(r, 50))
  }
}

/** Waits a little, then the subjects of everything `to` received (to assert what was not sent). */
export async function settledSubjects(to: string, waitMs = 400): Promise<string[]> {
  await new Promise((r) => setTimeout(r, waitMs))
  return (await sentTo(to)).map((m) => m.subject)
}

/** Waits a little, then returns how many messages `to` received (to assert none were sent). */
export async function settledCount(to: string, waitMs = 400): Promise<number> {
  await new Promise((r) => setTimeout(r, waitMs))
  return (await sentTo(to)).length
}

/** The path of a mailed link (`/reset/<token>`), for requests against the test origin. */
export function linkPath(mail: SentMail): string {
  if (!mail.link) throw new Error(`no link in "${mail.subject}"`)
  const url = new URL(mail.link)
  return url.pathname + url.search
}
