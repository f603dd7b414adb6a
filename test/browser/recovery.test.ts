import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { createOutbox, findSentMail, type SentMail } from '../../dev/outbox'
import { launchBrowser, uniqueEmail, watchErrors } from './browser'

const base = inject('baseUrl')
const PASSWORD = 'a long enough passphrase'
const NEW_PASSWORD = 'a new and equally long passphrase'
let browser: Browser

beforeAll(async () => {
  browser = await launchBrowser()
})
afterAll(async () => {
  await browser?.close()
})

const path = (page: Page) => new URL(page.url()).pathname

/** An account made with a plain form post, as the signup page would send it. */
async function createAccount(email: string) {
  const res = await fetch(`${base}/signup`, {
    method: 'POST',
    headers: { Origin: base, 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ username: 'Reset', email, password: PASSWORD }),
    redirect: 'manual',
  })
  expect(res.status).toBe(303)
}

/**
 * The reset message wrangler dev's simulated EMAIL binding wrote for `to` (the .eml file the dev
 * runner copies to .data/outbox/), waiting for it: mail leaves after the answer.
 */
async function resetMail(to: string): Promise<SentMail> {
  const deadline = Date.now() + 15_000
  for (;;) {
    const mail = (await findSentMail(to)).find((m) => m.subject.startsWith('Reset your'))
    if (mail) return mail
    if (Date.now() > deadline) throw new Error(`no reset message for ${to}`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

/** Sign-in page → forgot → mail → link → new password → sign-in notice → sign in → welcome. */
async function recover(page: Page, email: string) {
  await page.goto(`${base}/`)
  await page.getByRole('link', { name: 'Forgot your password?' }).click()
  await page.getByRole('heading', { name: 'Forgot your password?' }).waitFor()
  expect(path(page)).toBe('/forgot')
  await page.getByLabel('Email').fill(email)
  await page.getByRole('button', { name: 'Send the link' }).click()
  await page.getByText('If an account exists for that address, we sent it a link').waitFor()
  expect(path(page)).toBe('/forgot/sent')

  const mail = await resetMail(email)
  expect(mail.link).toMatch(new RegExp(`^${base}/reset/[a-z2-7]{32}$`))
  await page.goto(mail.link!)
  await page.getByRole('heading', { name: 'Choose a new password' }).waitFor()
  // The token left the address bar before the form was shown.
  expect(page.url()).toBe(`${base}/reset`)

  await page.getByLabel('New password', { exact: true }).fill('too short')
  await page.getByRole('button', { name: 'Set the password' }).click()
  await page.getByText('Use at least 15 characters (you have 9).').waitFor()
  await page.getByLabel('New password', { exact: true }).fill(NEW_PASSWORD)
  await page.getByRole('button', { name: 'Set the password' }).click()
  await page.getByText('Your password was changed').waitFor()
  expect(path(page)).toBe('/')

  await page.getByLabel('Email').fill(email)
  await page.getByLabel('Password', { exact: true }).fill(NEW_PASSWORD)
  await page.getByRole('button', { name: 'Sign in' }).click()
  await page.getByRole('heading', { name: 'Welcome, Reset' }).waitFor()
  expect(path(page)).toBe('/welcome')

  // The link was used up.
  await page.goto(mail.link!)
  await page.getByRole('heading', { name: 'This link cannot be used' }).waitFor()
  return mail
}

describe('password reset in Chromium', () => {
  it('with JavaScript (htmx)', async () => {
    const email = uniqueEmail('reset-htmx')
    await createAccount(email)
    const context = await browser.newContext()
    const page = await context.newPage()
    const errors = watchErrors(page)
    await recover(page, email)
    expect(errors).toEqual([])
    await context.close()
  })

  it('without JavaScript (plain forms)', async () => {
    const email = uniqueEmail('reset-plain')
    await createAccount(email)
    const context = await browser.newContext({ javaScriptEnabled: false })
    const page = await context.newPage()
    await recover(page, email)
    await context.close()
  })

  it('the dev runner copies a message from its wrangler log line into the outbox', async () => {
    const email = uniqueEmail('outbox')
    await createAccount(email)
    await fetch(`${base}/forgot`, {
      method: 'POST',
      headers: { Origin: base, 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ email }),
    })
    const sent = await resetMail(email)
    const dir = await mkdtemp(join(tmpdir(), 'edge-auth-outbox-'))
    try {
      const printed: string[] = []
      const outbox = createOutbox({ dir, print: (line) => printed.push(line) })
      // The two lines wrangler dev prints for one raw message.
      expect(outbox.handle('send_email binding called with the following message:')).toBe(true)
      expect(outbox.handle(`  ${sent.file}`)).toBe(true)
      expect(outbox.handle('[wrangler:info] GET /forgot 200 OK')).toBe(false)
      await outbox.flush()
      const [copy] = await readdir(dir)
      expect(copy).toMatch(/reset-your-edge-auth-password.*\.eml$/)
      // Live links: the folder and each message are the developer's alone (issue 16).
      expect((await stat(dir)).mode & 0o777).toBe(0o700)
      expect((await stat(join(dir, copy!))).mode & 0o777).toBe(0o600)
      expect(await readFile(join(dir, copy!), 'utf8')).toBe(await readFile(sent.file, 'utf8'))
      expect(printed).toHaveLength(1)
      expect(printed[0]).toContain(
        `mail to ${email}: "Reset your edge-auth password"  ${sent.link}`,
      )
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})
