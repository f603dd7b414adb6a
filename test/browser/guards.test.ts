import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import {
  countRequests,
  htmxReady,
  launchBrowser,
  path as pathOf,
  uniqueEmail,
  watchErrors,
} from './browser'

const base = inject('baseUrl')
const PASSWORD = 'a long enough passphrase'
// The longest username the server accepts, with no space to break at.
const LONGEST_NAME = 'W'.repeat(64)
let browser: Browser

beforeAll(async () => {
  browser = await launchBrowser()
})
afterAll(async () => {
  await browser?.close()
})

/** Creates an account the way a plain form would (the CSRF check wants the Origin). */
async function createAccount(username: string, email: string) {
  const res = await fetch(`${base}/signup`, {
    method: 'POST',
    headers: { Origin: base, 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ username, email, password: PASSWORD }),
    redirect: 'manual',
  })
  expect(res.status).toBe(303)
}

async function signInAs(page: Page, email: string, js: boolean) {
  await page.goto(`${base}/`)
  if (js) await htmxReady(page)
  await page.getByLabel('Email').fill(email)
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD)
  await page.getByRole('button', { name: 'Sign in' }).click()
  await page.getByRole('heading', { name: /^Welcome, / }).waitFor()
}

describe('one request per submit', () => {
  /**
   * Clicks the button, waits until its post has left, and clicks the same spot again: a double
   * click as slow as a person's, which reaches the page after the first request started. (A
   * synthetic dblclick is so fast that Chromium folds two plain submissions into one by itself.)
   */
  async function clickTwice(page: Page, name: string, action: string) {
    const box = (await page.getByRole('button', { name }).boundingBox())!
    const [x, y] = [box.x + box.width / 2, box.y + box.height / 2]
    const sent = page.waitForRequest((r) => r.method() === 'POST' && path(r) === action)
    await page.mouse.click(x, y)
    await sent
    await page.mouse.click(x, y)
  }
  const path = (r: { url(): string }) => new URL(r.url()).pathname

  async function doubleClickSignupThenLogin(context: BrowserContext, page: Page) {
    const signups = countRequests(context, 'POST', '/signup')
    const logins = countRequests(context, 'POST', '/login')
    const email = uniqueEmail('double')
    await page.getByLabel('Username').fill('Double')
    await page.getByLabel('Email').fill(email)
    await page.getByLabel('Password', { exact: true }).fill(PASSWORD)
    await clickTwice(page, 'Create account', '/signup')
    await page.getByText('Account created.').waitFor()
    // Without htmx this is a new page: its text can be there before its deferred script runs, and
    // the guard under test lives in that script.
    await page.waitForLoadState('load')
    await page.getByLabel('Password', { exact: true }).fill(PASSWORD)
    await clickTwice(page, 'Sign in', '/login')
    await page.getByRole('heading', { name: 'Welcome, Double' }).waitFor()
    // Both pages have settled and nothing is pending, so a second post would have been counted.
    await page.waitForLoadState('networkidle')
    expect(signups()).toBe(1)
    expect(logins()).toBe(1)
  }

  it('with htmx: a double click signs up once and signs in once', async () => {
    const context = await browser.newContext()
    const page = await context.newPage()
    const errors = watchErrors(page)
    await page.goto(`${base}/signup`)
    await htmxReady(page)
    await doubleClickSignupThenLogin(context, page)
    expect(errors).toEqual([])
    await context.close()
  })

  it('with htmx missing: a plain form post is sent once', async () => {
    const context = await browser.newContext()
    // As if htmx failed to load: the forms post as plain HTML forms. Chromium already drops a
    // second submission of a form whose navigation is under way; /js/app.js's guard does the same
    // for browsers that do not, which this Chromium-only suite cannot show.
    await context.route('**/js/htmx.min.js', (route) => route.abort())
    const page = await context.newPage()
    await page.goto(`${base}/signup`)
    await page.waitForFunction(() => document.readyState === 'complete')
    expect(await page.evaluate(() => 'htmx' in window)).toBe(false)
    await doubleClickSignupThenLogin(context, page)
    await context.close()
  })
})

describe('while a request is in flight', () => {
  it('the submit button is disabled and shows its spinner, then comes back', async () => {
    const context = await browser.newContext()
    const page = await context.newPage()
    await page.goto(`${base}/`)
    await htmxReady(page)
    // Hold the post until the page has been looked at: no timing involved.
    let release!: () => void
    const held = new Promise<void>((resolve) => (release = resolve))
    await page.route('**/login', async (route) => {
      await held
      await route.continue()
    })
    await page.getByLabel('Email').fill(uniqueEmail('busy'))
    await page.getByLabel('Password', { exact: true }).fill('not the password')
    const submit = page.getByRole('button', { name: 'Sign in' })
    await submit.click()

    await page.locator('form.htmx-request').waitFor()
    expect(await submit.isDisabled()).toBe(true)
    expect(await page.locator('form .spinner').isVisible()).toBe(true)
    expect(await page.getByRole('button', { name: 'Show password' }).isDisabled()).toBe(true)

    release()
    await page.getByText('Invalid credentials').waitFor()
    expect(await submit.isDisabled()).toBe(false)
    expect(await page.locator('form .spinner').isVisible()).toBe(false)
    await context.close()
  })
})

describe('two tabs', () => {
  it('a tab signed out in another tab lands on sign-in at its next action', async () => {
    const context = await browser.newContext()
    const email = uniqueEmail('tabs')
    await createAccount('Two Tabs', email)
    const first = await context.newPage()
    await signInAs(first, email, true)
    const second = await context.newPage()
    await second.goto(`${base}/welcome`)
    await htmxReady(second)
    await second.getByRole('heading', { name: 'Welcome, Two Tabs' }).waitFor()

    await first.getByRole('button', { name: 'Sign out' }).click()
    await first.getByText('You are signed out.').waitFor()

    // The second tab still shows the welcome page; its next click gets the sign-in page.
    await second.getByRole('link', { name: 'edge-auth' }).click()
    await second.getByRole('heading', { name: 'Sign in' }).waitFor()
    expect(pathOf(second)).toBe('/')
    await context.close()
  })

  it('a device whose session was ended elsewhere lands on sign-in (htmx and reload)', async () => {
    const email = uniqueEmail('device')
    await createAccount('Device', email)
    const laptop = await browser.newContext()
    const laptopPage = await laptop.newPage()
    await signInAs(laptopPage, email, true)
    // The phone holds a copy of the same session cookie; logging out deletes the session row.
    const phone = await browser.newContext()
    await phone.addCookies(await laptop.cookies())
    const phonePage = await phone.newPage()
    await phonePage.goto(`${base}/welcome`)
    await htmxReady(phonePage)
    await phonePage.getByRole('heading', { name: 'Welcome, Device' }).waitFor()

    await laptopPage.getByRole('button', { name: 'Sign out' }).click()
    await laptopPage.getByText('You are signed out.').waitFor()

    // Its next htmx action (signing out too) answers with the sign-in page, no error.
    await phonePage.getByRole('button', { name: 'Sign out' }).click()
    await phonePage.getByRole('heading', { name: 'Sign in' }).waitFor()
    expect(pathOf(phonePage)).toBe('/')
    // And the welcome page is gone for it for good.
    await phonePage.goto(`${base}/welcome`)
    expect(pathOf(phonePage)).toBe('/')
    await laptop.close()
    await phone.close()
  })
})

describe.each([
  { mode: 'with JavaScript', js: true },
  { mode: 'without JavaScript', js: false },
])('the longest username at 320 px $mode', ({ js }) => {
  it('wraps inside the page instead of scrolling sideways', async () => {
    const email = uniqueEmail('longest')
    await createAccount(LONGEST_NAME, email)
    const context = await browser.newContext({
      viewport: { width: 320, height: 640 },
      javaScriptEnabled: js,
    })
    const page = await context.newPage()
    await signInAs(page, email, js)
    await page.getByRole('heading', { name: `Welcome, ${LONGEST_NAME}` }).waitFor()
    // The heading can be in the DOM before the stylesheet has arrived (a loaded machine): measure
    // the page as styled.
    await page.waitForLoadState('load')
    const { scrollWidth, clientWidth } = await page.evaluate(() => ({
      scrollWidth: document.documentElement.scrollWidth,
      clientWidth: document.documentElement.clientWidth,
    }))
    expect(clientWidth).toBe(320)
    expect(scrollWidth).toBeLessThanOrEqual(clientWidth)
    await context.close()
  })
})
