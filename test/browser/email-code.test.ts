import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { findSentMail, type SentMail } from '../../dev/outbox'
import { axeSerious, screenshot } from './audit'
import { htmxReady, launchBrowser, path, uniqueEmail, watchErrors } from './browser'

const base = inject('baseUrl')
const PASSWORD = 'a long enough passphrase'
let browser: Browser

beforeAll(async () => {
  browser = await launchBrowser()
})
afterAll(async () => {
  await browser?.close()
})

async function createAccount(email: string) {
  const res = await fetch(`${base}/signup`, {
    method: 'POST',
    headers: { Origin: base, 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ username: 'Coder', email, password: PASSWORD }),
    redirect: 'manual',
  })
  expect(res.status).toBe(303)
}

/** The nth sign-in code message for `to` in the outbox, waiting for it (mail leaves after the answer). */
async function codeMail(to: string, nth = 1): Promise<{ code: string; mail: SentMail }> {
  const deadline = Date.now() + 15_000
  for (;;) {
    const mails = (await findSentMail(to)).filter((m) => m.subject.includes('sign-in code'))
    const mail = mails[nth - 1]
    if (mail) return { code: /is ([A-Z]{4}-[A-Z]{4})\./.exec(mail.text)![1]!, mail }
    if (Date.now() > deadline) throw new Error(`no sign-in code for ${to}`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

/**
 * axe in both schemes, and a screenshot of each, for the state the page shows. axe runs through the
 * DevTools protocol, which a context without JavaScript does not evaluate: the plain journey shows
 * the same markup as whole pages and is checked for behaviour only.
 */
async function audited(page: Page, name: string, js: boolean) {
  if (!js) return
  for (const colorScheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme })
    expect(await axeSerious(page), `${name} (${colorScheme})`).toEqual([])
    await screenshot(page, `${name}-${colorScheme}`)
  }
  await page.emulateMedia({ colorScheme: 'light' })
}

async function ready(page: Page, js: boolean) {
  if (js) await htmxReady(page)
}

/** Sign-in page → "Email me a sign-in code" → address → wrong code → right code → welcome. */
async function journey(page: Page, email: string, js: boolean, tag: string) {
  await page.goto(`${base}/`)
  await ready(page, js)
  await page.getByRole('link', { name: 'Email me a sign-in code' }).click()
  await page.getByRole('heading', { name: 'Sign in with a code' }).waitFor()
  expect(path(page)).toBe('/signin/code')
  await audited(page, `code-ask-${tag}`, js)
  await page.getByLabel('Email', { exact: true }).fill(email)
  await page.getByRole('button', { name: 'Email me a code' }).click()
  await page.getByRole('heading', { name: 'Enter your code' }).waitFor()
  expect(path(page)).toBe('/signin/code/enter')
  await ready(page, js)
  await audited(page, `code-enter-${tag}`, js)

  const { code } = await codeMail(email)
  const wrong = code.startsWith('B') ? 'CCCC-CCCC' : 'BBBB-BBBB'
  await page.getByLabel('Code', { exact: true }).fill(wrong)
  await page.getByRole('button', { name: 'Sign in' }).click()
  await page.getByText('That code did not work.').waitFor()
  await ready(page, js)
  await audited(page, `code-wrong-${tag}`, js)

  // As a person might type it: lower case, a space instead of the dash.
  await page.getByLabel('Code', { exact: true }).fill(code.toLowerCase().replace('-', ' '))
  await page.getByRole('button', { name: 'Sign in' }).click()
  await page.getByRole('heading', { name: 'Welcome, Coder' }).waitFor()
  expect(path(page)).toBe('/welcome')
}

/** The mailed link: elsewhere it shows the code; in the browser that asked, one button signs in. */
async function linkJourney(asker: Page, other: Page, email: string, js: boolean, tag: string) {
  await asker.goto(`${base}/signin/code`)
  await ready(asker, js)
  await asker.getByLabel('Email', { exact: true }).fill(email)
  await asker.getByRole('button', { name: 'Email me a code' }).click()
  await asker.getByRole('heading', { name: 'Enter your code' }).waitFor()
  const { code, mail } = await codeMail(email, 2)

  await other.goto(mail.link!)
  await other.getByRole('heading', { name: 'Type this code where you asked' }).waitFor()
  expect(other.url()).toBe(`${base}/signin/code/link`)
  expect(await other.getByText(code).count()).toBe(1)
  await audited(other, `code-link-elsewhere-${tag}`, js)
  const otherCookies = await other.context().cookies()
  expect(otherCookies.map((c) => c.name)).not.toContain('session')

  await asker.goto(mail.link!)
  await asker.getByRole('heading', { name: 'Sign in', exact: true }).waitFor()
  expect(asker.url()).toBe(`${base}/signin/code/link`)
  await ready(asker, js)
  await audited(asker, `code-link-here-${tag}`, js)
  await asker.getByRole('button', { name: 'Sign in' }).click()
  await asker.getByRole('heading', { name: 'Welcome, Coder' }).waitFor()
  expect(path(asker)).toBe('/welcome')
}

describe('signing in with an emailed code in Chromium', () => {
  for (const js of [true, false]) {
    const tag = js ? 'htmx' : 'plain'
    it(
      js ? 'with JavaScript (htmx)' : 'without JavaScript (plain forms)',
      async () => {
        const email = uniqueEmail(`code-${tag}`)
        await createAccount(email)
        const contexts: BrowserContext[] = []
        const open = async () => {
          const context = await browser.newContext({ javaScriptEnabled: js })
          contexts.push(context)
          return context.newPage()
        }
        const page = await open()
        const errors = watchErrors(page)
        await journey(page, email, js, tag)
        const asker = await open()
        const other = await open()
        await linkJourney(asker, other, email, js, tag)
        expect(errors).toEqual([])
        for (const context of contexts) await context.close()
      },
      120_000,
    )
  }
})
