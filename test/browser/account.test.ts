import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { countDocumentLoads, launchBrowser, uniqueEmail, watchErrors } from './browser'

const base = inject('baseUrl')
const PASSWORD = 'a long enough passphrase'
const NEW_PASSWORD = 'quite another long passphrase'
let browser: Browser

beforeAll(async () => {
  browser = await launchBrowser()
})
afterAll(async () => {
  await browser?.close()
})

const path = (page: Page) => new URL(page.url()).pathname

async function signIn(page: Page, email: string, password: string) {
  await page.getByLabel('Email').fill(email)
  await page.getByLabel('Password', { exact: true }).fill(password)
  await page.getByRole('button', { name: 'Sign in' }).click()
}

/** Another device: a context of its own, signed in through the plain form. */
async function otherDevice(email: string): Promise<BrowserContext> {
  const context = await browser.newContext({ javaScriptEnabled: false })
  const page = await context.newPage()
  await page.goto(`${base}/`)
  await signIn(page, email, PASSWORD)
  await page.waitForURL(`${base}/welcome`)
  return context
}

/**
 * From the signup page: sign up, sign in, open the account page, change the password (once wrong),
 * see the sessions, delete the account. The same steps serve both modes.
 */
async function accountJourney(page: Page, username: string, email: string) {
  await page.getByLabel('Username').fill(username)
  await page.getByLabel('Email').fill(email)
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD)
  await page.getByRole('button', { name: 'Create account' }).click()
  await page.getByText('Account created. Sign in with your new password.').waitFor()
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD)
  await page.getByRole('button', { name: 'Sign in' }).click()
  await page.getByRole('heading', { name: `Welcome, ${username}` }).waitFor()
  const laptop = await otherDevice(email)

  await page.getByRole('link', { name: 'Your account' }).click()
  await page.getByRole('heading', { name: 'Your account' }).waitFor()
  expect(path(page)).toBe('/account')
  expect(await page.getByText(email).count()).toBe(1)
  expect(await page.getByText('Member since').count()).toBe(1)

  await page.getByRole('link', { name: 'Change password' }).click()
  await page.getByRole('heading', { name: 'Change password' }).waitFor()
  expect(path(page)).toBe('/account/password')
  await page.getByLabel('Current password').fill('not my password at all')
  await page.getByLabel('New password').fill(NEW_PASSWORD)
  await page.getByRole('button', { name: 'Change password' }).click()
  await page.getByText('That is not your current password.').first().waitFor()
  expect(await page.locator('form').count()).toBe(1)
  expect(await page.getByLabel('Current password').inputValue()).toBe('')
  await page.getByLabel('Current password').fill(PASSWORD)
  await page.getByLabel('New password').fill(NEW_PASSWORD)
  await page.getByRole('button', { name: 'Change password' }).click()
  await page.getByText('Your password is changed.').waitFor()
  expect(path(page)).toBe('/account')

  // The other device was signed out by the change.
  const laptopPage = laptop.pages()[0]!
  await laptopPage.goto(`${base}/account`)
  expect(path(laptopPage)).toBe('/')
  await laptop.close()

  await page.getByRole('link', { name: 'Your sessions' }).click()
  await page.getByRole('heading', { name: 'Your sessions' }).waitFor()
  expect(path(page)).toBe('/account/sessions')
  expect(await page.locator('li.session').count()).toBe(1)
  expect(await page.locator('li.session.current').innerText()).toContain('Chrome on Linux')
  expect(await page.getByText('(this device)').count()).toBe(1)

  await page.getByRole('link', { name: 'Back to your account' }).click()
  await page.getByRole('link', { name: 'Delete account' }).click()
  await page.getByRole('heading', { name: 'Delete account' }).waitFor()
  await page.getByLabel('Your password').fill(NEW_PASSWORD)
  await page.getByRole('button', { name: 'Delete my account' }).click()
  await page.getByText('Your account and everything kept with it are deleted.').waitFor()
  expect(path(page)).toBe('/signup')

  await page.getByRole('link', { name: 'Sign in' }).click()
  await page.getByRole('heading', { name: 'Sign in' }).waitFor()
  await signIn(page, email, NEW_PASSWORD)
  await page.getByText('Invalid credentials').waitFor()
}

describe('account pages with JavaScript: htmx', () => {
  it('changes the password, lists sessions and deletes the account without a page load', async () => {
    const context = await browser.newContext()
    const documentLoads = countDocumentLoads(context)
    const page = await context.newPage()
    const errors = watchErrors(page)
    await page.goto(`${base}/signup`)
    await page.waitForFunction(() => 'htmx' in window)
    await page.evaluate(() => ((window as { marker?: string }).marker = 'alive'))

    await accountJourney(page, 'Htmx Account', uniqueEmail('account-htmx'))

    expect(await page.evaluate(() => (window as { marker?: string }).marker)).toBe('alive')
    expect(documentLoads()).toBe(1)
    expect(errors).toEqual([])
    await context.close()
  })
})

describe('account pages without JavaScript: plain forms', () => {
  it('changes the password, lists sessions and deletes the account', async () => {
    const context = await browser.newContext({ javaScriptEnabled: false })
    const documentLoads = countDocumentLoads(context)
    const page = await context.newPage()
    await page.goto(`${base}/signup`)

    await accountJourney(page, 'Plain Account', uniqueEmail('account-plain'))

    expect(documentLoads()).toBeGreaterThanOrEqual(12)
    await context.close()
  })
})
