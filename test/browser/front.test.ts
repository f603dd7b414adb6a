import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { launchBrowser, uniqueEmail, watchErrors } from './browser'

// The product in front of the example app (examples/hello-app), as `npm run dev -- --with-example`
// runs them: a newcomer's first look at a protected page of their own app.
const base = inject('frontUrl')
const PASSWORD = 'a long enough passphrase'
let browser: Browser

beforeAll(async () => {
  browser = await launchBrowser()
})
afterAll(async () => {
  await browser?.close()
})

const here = (page: Page) => {
  const url = new URL(page.url())
  return url.pathname + url.search
}

describe.each([
  { mode: 'with JavaScript (htmx)', js: true },
  { mode: 'without JavaScript', js: false },
])('a protected page of the example app, $mode', ({ js }) => {
  it('sends the visitor to sign in, brings them back, and signs them out', async () => {
    const context = await browser.newContext({ javaScriptEnabled: js })
    const page = await context.newPage()
    const errors = watchErrors(page)
    await page.goto(`${base}/app/private?tab=2`)
    await page.getByRole('heading', { name: 'Sign in' }).waitFor()
    expect(here(page)).toBe('/?next=%2Fapp%2Fprivate%3Ftab%3D2')

    // No account yet: to signup and back, still carrying where the visitor was going.
    await page.getByRole('link', { name: 'Create an account' }).click()
    await page.getByRole('heading', { name: 'Create an account' }).waitFor()
    const email = uniqueEmail(js ? 'front-js' : 'front-plain')
    await page.getByLabel('Username').fill('Ada')
    await page.getByLabel('Email').fill(email)
    await page.getByLabel('Password', { exact: true }).fill(PASSWORD)
    await page.getByRole('button', { name: 'Create account' }).click()
    await page.getByText('Account created. Sign in with your new password.').waitFor()

    await page.getByLabel('Password', { exact: true }).fill('not the password')
    await page.getByRole('button', { name: 'Sign in' }).click()
    await page.getByText('Invalid credentials').waitFor()
    await page.getByLabel('Password', { exact: true }).fill(PASSWORD)
    await page.getByRole('button', { name: 'Sign in' }).click()

    // The example's own page, as a whole document (not swapped into the sign-in page).
    await page.getByRole('heading', { name: 'Private page' }).waitFor({ timeout: 15_000 })
    expect(here(page)).toBe('/app/private?tab=2')
    expect(await page.title()).toBe('Private page')
    await page.getByText(`Signed in as Ada (${email}, not confirmed yet).`).waitFor()

    await page.getByRole('button', { name: 'Sign out' }).click()
    await page.getByText('You are signed out.').waitFor()
    await page.goto(`${base}/app/private`)
    await page.getByRole('heading', { name: 'Sign in' }).waitFor()
    expect(here(page)).toBe('/?next=%2Fapp%2Fprivate')
    expect(errors).toEqual([])
    await context.close()
  })
})
