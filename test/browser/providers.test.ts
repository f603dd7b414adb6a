import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { axeSerious, screenshot } from './audit'
import { htmxReady, launchBrowser, path, watchErrors } from './browser'

// "Continue with Dev OIDC" against the real local OpenID provider (dev/oidc-provider.ts) that
// `npm run dev` runs, with and without JavaScript: the start is a plain link, the provider's page
// is plain forms, and the way back is a redirect, so both journeys are the same clicks.

const base = inject('baseUrl')
let browser: Browser

beforeAll(async () => {
  browser = await launchBrowser()
})
afterAll(async () => {
  await browser?.close()
})

async function audited(page: Page, name: string) {
  for (const colorScheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme })
    expect(await axeSerious(page), `${name} (${colorScheme})`).toEqual([])
    await screenshot(page, `${name}-${colorScheme}`)
  }
  await page.emulateMedia({ colorScheme: 'light' })
}

/** Sign-in page → Continue with Dev OIDC → a test person → back, signed in (or refused). */
async function continueAs(page: Page, person: RegExp) {
  await page.goto(`${base}/`)
  await page.getByRole('link', { name: 'Continue with Dev OIDC' }).click()
  await page.waitForURL((url) => url.pathname.startsWith('/interaction/'))
  await page.getByRole('button', { name: person }).click()
  await page.waitForURL((url) => url.origin === new URL(base).origin)
}

describe('sign in with the local OpenID provider', () => {
  for (const js of [true, false]) {
    it(`creates the account, signs in and shows connected accounts (${js ? 'htmx' : 'no JavaScript'})`, async () => {
      const context = await browser.newContext({ javaScriptEnabled: js })
      const page = await context.newPage()
      const errors = watchErrors(page)
      await page.goto(`${base}/`)
      if (js) {
        await htmxReady(page)
        await audited(page, 'providers-sign-in')
      }
      // A person of each run: the fixed dev people are Ada and Grace.
      await continueAs(page, js ? /Ada Lovelace/ : /Grace Hopper/)
      expect(path(page)).toBe('/welcome')
      await page.goto(`${base}/account`)
      await page.getByRole('link', { name: 'Connected accounts' }).click()
      await page.waitForURL((url) => url.pathname === '/account/connected')
      await expect(page.getByRole('heading', { name: 'Connected accounts' }).count()).resolves.toBe(
        1,
      )
      expect(await page.locator('main').textContent()).toContain('Dev OIDC')
      expect(await page.locator('main').textContent()).toContain('last used')
      if (js) await audited(page, 'providers-connected')
      // Signing out and in again lands in the same account, with no new one.
      await context.clearCookies()
      await continueAs(page, js ? /Ada Lovelace/ : /Grace Hopper/)
      expect(path(page)).toBe('/welcome')
      expect(errors).toEqual([])
      await context.close()
    })
  }

  for (const js of [true, false]) {
    it(`connects GitHub from Connected accounts and comes back (${js ? 'htmx' : 'no JavaScript'})`, async () => {
      const context = await browser.newContext({ javaScriptEnabled: js })
      // A GitHub person of this run alone (the stand-in takes GitHub's own `login` hint), so no
      // other journey's account holds the identity.
      const login = `hubot-${js ? 'js' : 'plain'}-${Date.now().toString(36)}`
      // The authorize URL is a redirect's target, which routes never see: rewrite the redirect.
      await context.route('**/login/provider/github/go', async (route) => {
        const response = await route.fetch({ maxRedirects: 0 })
        const location = new URL(response.headers()['location']!)
        location.searchParams.set('login', login)
        await route.fulfill({
          response,
          headers: { ...response.headers(), location: location.href },
        })
      })
      const page = await context.newPage()
      const errors = watchErrors(page)
      // Signed in by the provider a moment ago: that stands in for a password (sudo mode).
      await continueAs(page, js ? /Ada Lovelace/ : /Grace Hopper/)
      await page.goto(`${base}/account/connected`)
      if (js) await htmxReady(page)
      await page.getByRole('button', { name: 'Connect GitHub' }).click()
      await page.getByText('The account was connected.').waitFor()
      expect(path(page)).toBe('/account/connected')
      expect(await page.locator('main').textContent()).toContain('GitHub')
      expect(errors).toEqual([])
      await context.close()
    })
  }

  it('an unverified address gets a clear page with a way back', async () => {
    const context = await browser.newContext()
    const page = await context.newPage()
    await continueAs(page, /Linus/)
    expect(path(page)).toBe('/login/provider/oidc/callback')
    expect(await page.locator('main').textContent()).toContain('did not give us a verified email')
    await audited(page, 'providers-refused')
    await page.getByRole('link', { name: 'Back to sign in' }).click()
    await page.waitForURL((url) => url.pathname === '/')
    await context.close()
  })

  it('Continue with GitHub goes through the stand-in and back, signed in', async () => {
    const context = await browser.newContext({ javaScriptEnabled: false })
    const page = await context.newPage()
    await page.goto(`${base}/signup`)
    await page.getByRole('link', { name: 'Continue with GitHub' }).click()
    await page.waitForURL((url) => url.pathname === '/welcome')
    expect(await page.locator('main').textContent()).toContain('The Octocat')
    await context.close()
  })
})
