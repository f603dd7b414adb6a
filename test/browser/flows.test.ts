import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { countDocumentLoads, launchBrowser, uniqueEmail, watchErrors } from './browser'

const base = inject('baseUrl')
const PASSWORD = 'a long enough passphrase'
let browser: Browser

beforeAll(async () => {
  browser = await launchBrowser()
})
afterAll(async () => {
  await browser?.close()
})

const marker = (page: Page) => page.evaluate(() => (window as { marker?: string }).marker)
const path = (page: Page) => new URL(page.url()).pathname

async function signIn(page: Page, password: string) {
  await page.getByLabel('Password').fill(password)
  await page.getByRole('button', { name: 'Sign in' }).click()
}

/**
 * From the signup page: sign up, fail once, sign in, see the welcome page and sign out, checking
 * what the person sees at each step. The same steps serve the htmx and the plain-form modes.
 */
async function journey(page: Page, username: string, email: string) {
  await page.getByLabel('Username').fill(username)
  await page.getByLabel('Email').fill(email)
  await page.getByLabel('Password').fill(PASSWORD)
  await page.getByRole('button', { name: 'Create account' }).click()
  await page.getByText('Account created. Sign in with your new password.').waitFor()
  expect(path(page)).toBe('/')
  expect(await page.getByLabel('Email').inputValue()).toBe(email)

  await signIn(page, 'not the password')
  await page.getByText('Invalid credentials').waitFor()

  await signIn(page, PASSWORD)
  await page.getByRole('heading', { name: `Welcome, ${username}` }).waitFor()
  expect(path(page)).toBe('/welcome')
  expect(await page.title()).toBe('Welcome · edge-auth')

  await page.getByRole('button', { name: 'Sign out' }).click()
  await page.getByText('You are signed out.').waitFor()
  expect(path(page)).toBe('/')
}

describe('with JavaScript: htmx partial-page flow', () => {
  it('signs up, logs in, welcomes and logs out without a full page load', async () => {
    const context = await browser.newContext()
    const documentLoads = countDocumentLoads(context)
    const page = await context.newPage()
    const errors = watchErrors(page)
    const email = uniqueEmail('htmx')

    await page.goto(`${base}/`)
    await page.waitForFunction(() => 'htmx' in window)
    await page.evaluate(() => ((window as { marker?: string }).marker = 'alive'))

    await page.getByRole('link', { name: 'Create an account' }).click()
    await page.getByRole('heading', { name: 'Create an account' }).waitFor()
    expect(path(page)).toBe('/signup')
    expect(await page.title()).toBe('Create an account · edge-auth')

    // An invalid submission swaps the form with its messages in place.
    await page.getByLabel('Username').fill('Grace <Hopper>')
    await page.getByLabel('Email').fill(email)
    await page.getByLabel('Password').fill('too short')
    await page.getByRole('button', { name: 'Create account' }).click()
    await page.getByText('Use at least 15 characters (you have 9).').waitFor()
    expect(await page.locator('form').count()).toBe(1)
    expect(await page.getByLabel('Username').inputValue()).toBe('Grace <Hopper>')
    expect(await page.getByLabel('Password').inputValue()).toBe('')

    await journey(page, 'Grace <Hopper>', email)

    expect(await marker(page)).toBe('alive')
    expect(documentLoads()).toBe(1)
    expect(errors).toEqual([])
    await context.close()
  })

  it('Back after logout does not show the welcome page again', async () => {
    const context = await browser.newContext()
    const page = await context.newPage()
    const email = uniqueEmail('back')
    await page.goto(`${base}/signup`)
    await page.waitForFunction(() => 'htmx' in window)
    await journey(page, 'Back', email)

    // htmx restores /welcome by fetching it; the server refuses with HX-Location (replace) to /.
    const refused = page.waitForResponse((r) => new URL(r.url()).pathname === '/welcome')
    const loginPage = page.waitForResponse(
      (r) => new URL(r.url()).pathname === '/' && r.request().headers()['hx-request'] === 'true',
    )
    await page.goBack()
    expect((await refused).status()).toBe(204)
    await loginPage
    await page.waitForFunction(() => location.pathname === '/')
    await page.getByRole('heading', { name: 'Sign in' }).waitFor()
    expect(await page.getByText('Welcome, Back').count()).toBe(0)
    expect(path(page)).toBe('/')
    await context.close()
  })
})

describe('without JavaScript: plain forms and full pages', () => {
  it('signs up, logs in, welcomes and logs out', async () => {
    const context = await browser.newContext({ javaScriptEnabled: false })
    const documentLoads = countDocumentLoads(context)
    const page = await context.newPage()
    const email = uniqueEmail('nojs')

    await page.goto(`${base}/`)
    await page.getByRole('link', { name: 'Create an account' }).click()
    await page.waitForURL(`${base}/signup`)
    await journey(page, 'Plain', email)

    await page.goto(`${base}/welcome`)
    expect(path(page)).toBe('/')
    expect(documentLoads()).toBeGreaterThanOrEqual(8)
    await context.close()
  })
})

describe('static assets', () => {
  it('serves the pinned htmx with nosniff and a CSP', async () => {
    const res = await fetch(`${base}/js/htmx.min.js`)
    expect(res.status).toBe(200)
    expect(res.headers.get('x-content-type-options')).toBe('nosniff')
    expect(res.headers.get('content-security-policy')).toContain("frame-ancestors 'none'")
    const { readFile } = await import('node:fs/promises')
    const pinned = await readFile(
      new URL('../../node_modules/htmx.org/dist/htmx.min.js', import.meta.url),
      'utf8',
    )
    expect(await res.text()).toBe(pinned)
  })
})
