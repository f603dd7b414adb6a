import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { base32Decode, stepOf, totp } from '../app/totp-reference'
import { axeSerious, screenshot } from './audit'
import { htmxReady, launchBrowser, path, uniqueEmail, watchErrors } from './browser'

const base = inject('baseUrl')
const PASSWORD = 'a long enough passphrase'
const SCHEMES = ['light', 'dark'] as const
let browser: Browser

beforeAll(async () => {
  browser = await launchBrowser()
})
afterAll(async () => {
  await browser?.close()
})

/** Keeps a flow clear of a 30-second boundary, so the test's step is the Worker's. */
async function awayFromBoundary() {
  const into = (Date.now() / 1000) % 30
  if (into > 25) await new Promise((r) => setTimeout(r, (30 - into + 0.3) * 1000))
}
const nowStep = () => stepOf(Date.now() / 1000)

/**
 * axe on the page as it stands, in light and dark, with a screenshot of each. axe runs through
 * DevTools evaluation, which a context without JavaScript never answers: there only screenshots.
 */
async function audited(page: Page, name: string, js = true) {
  for (const colorScheme of SCHEMES) {
    await page.emulateMedia({ colorScheme })
    if (js) expect(await axeSerious(page), `${name} (${colorScheme})`).toEqual([])
    await screenshot(page, `two-factor-${name}-${colorScheme}`)
  }
  await page.emulateMedia({ colorScheme: 'light' })
}

async function signIn(page: Page, email: string) {
  await page.goto(`${base}/`)
  await page.getByLabel('Email').fill(email)
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD)
  await page.getByRole('button', { name: 'Sign in' }).click()
}

async function signOut(page: Page) {
  await page.goto(`${base}/welcome`)
  await page.getByRole('button', { name: 'Sign out' }).click()
  await page.getByRole('heading', { name: 'Sign in' }).waitFor()
}

/**
 * Sign up and in, turn 2FA on by reading the key from the page, sign out, sign in with a code,
 * with a recovery code, make new codes, turn it off. The same steps in both modes.
 */
async function journey(page: Page, js: boolean) {
  const email = uniqueEmail(js ? '2fa-htmx' : '2fa-plain')
  await page.goto(`${base}/signup`)
  await page.getByLabel('Username').fill('Grace')
  await page.getByLabel('Email').fill(email)
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD)
  await page.getByRole('button', { name: 'Create account' }).click()
  await page.getByText('Account created.').waitFor()
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD)
  await page.getByRole('button', { name: 'Sign in' }).click()
  await page.getByRole('heading', { name: 'Welcome, Grace' }).waitFor()

  await page.goto(`${base}/account`)
  if (js) await htmxReady(page)
  await page.getByRole('link', { name: 'Two-factor sign-in' }).click()
  await page.getByRole('heading', { name: 'Two-factor sign-in' }).waitFor()
  await audited(page, `settings-off-${js ? 'htmx' : 'plain'}`, js)
  await page.getByLabel('Your password').fill(PASSWORD)
  await page.getByRole('button', { name: 'Set up an authenticator app' }).click()
  await page.getByRole('heading', { name: 'Set up your authenticator app' }).waitFor()
  expect(await page.getByRole('img', { name: 'QR code of your authenticator key' }).count()).toBe(1)
  await audited(page, `setup-${js ? 'htmx' : 'plain'}`, js)
  const key = base32Decode((await page.locator('#totp-key').textContent())!)
  await awayFromBoundary()
  const start = nowStep()
  await page.getByLabel('6-digit code').fill(await totp(key, start - 1))
  await page.getByRole('button', { name: 'Turn on two-factor sign-in' }).click()
  await page.getByRole('heading', { name: 'Save your recovery codes' }).waitFor()
  const codes = await page.locator('#recovery-code-list code').allTextContents()
  expect(codes).toHaveLength(10)
  expect(
    await page.getByRole('link', { name: 'Download as a text file' }).getAttribute('download'),
  ).toBe('recovery-codes.txt')
  await audited(page, `codes-${js ? 'htmx' : 'plain'}`, js)
  await page.getByRole('link', { name: 'I have saved them' }).click()
  await page.getByText('You have 10 recovery codes left.').waitFor()
  await audited(page, `settings-on-${js ? 'htmx' : 'plain'}`, js)

  // Sign in with a code: no session until the second page.
  await signOut(page)
  await signIn(page, email)
  await page.getByRole('heading', { name: 'Enter your code' }).waitFor()
  expect(path(page)).toBe('/login/two-factor')
  await audited(page, `second-step-${js ? 'htmx' : 'plain'}`, js)
  await page.getByLabel('6-digit code').fill('000000')
  await page.getByRole('button', { name: 'Sign in' }).click()
  await page.getByText('That code is not right').waitFor()
  await audited(page, `second-step-wrong-${js ? 'htmx' : 'plain'}`, js)
  await page.getByLabel('6-digit code').fill(await totp(key, start))
  await page.getByRole('button', { name: 'Sign in' }).click()
  await page.getByRole('heading', { name: 'Welcome, Grace' }).waitFor()

  // Sign in with a recovery code.
  await signOut(page)
  await signIn(page, email)
  await page.getByRole('link', { name: 'Use a recovery code instead' }).click()
  await page.getByRole('heading', { name: 'Use a recovery code' }).waitFor()
  await audited(page, `recovery-step-${js ? 'htmx' : 'plain'}`, js)
  await page.getByRole('textbox', { name: 'Recovery code' }).fill(codes[0]!)
  await page.getByRole('button', { name: 'Sign in' }).click()
  await page.getByRole('heading', { name: 'Welcome, Grace' }).waitFor()

  // New recovery codes (sudo mode: password and a code), then turn it off.
  await page.goto(`${base}/account/two-factor`)
  await page.getByText('You have 9 recovery codes left.').waitFor()
  const regenerate = page.locator('form[action="/account/two-factor/recovery-codes"]')
  await regenerate.getByLabel('Your password').fill(PASSWORD)
  await regenerate
    .getByLabel('Authenticator code or recovery code')
    .fill(await totp(key, start + 1))
  await regenerate.getByRole('button', { name: 'Make new recovery codes' }).click()
  await page.getByRole('heading', { name: 'Save your recovery codes' }).waitFor()
  const fresh = await page.locator('#recovery-code-list code').allTextContents()
  expect(fresh).toHaveLength(10)
  expect(fresh).not.toContain(codes[1])
  await page.getByRole('link', { name: 'I have saved them' }).click()
  const off = page.locator('form[action="/account/two-factor/disable"]')
  await off.getByLabel('Your password').fill(PASSWORD)
  await off.getByLabel('Authenticator code or recovery code').fill(fresh[0]!)
  await off.getByRole('button', { name: 'Turn off two-factor sign-in' }).click()
  await page.getByText('Two-factor sign-in is off.').waitFor()
  await signOut(page)
  await signIn(page, email)
  await page.getByRole('heading', { name: 'Welcome, Grace' }).waitFor()
}

describe('two-factor sign-in in Chromium', () => {
  it('the whole journey without JavaScript', async () => {
    const context = await browser.newContext({ javaScriptEnabled: false })
    const page = await context.newPage()
    page.setDefaultTimeout(10_000)
    await journey(page, false).catch(async (err: unknown) => {
      await screenshot(page, 'two-factor-failed-plain')
      throw new Error(`at ${page.url()}: ${String(err)}`)
    })
    await context.close()
  })

  it('the whole journey with htmx, without console errors', async () => {
    const context = await browser.newContext()
    const page = await context.newPage()
    const errors = watchErrors(page)
    await journey(page, true)
    expect(errors).toEqual([])
    await context.close()
  })
})
