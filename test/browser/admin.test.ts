import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { runAdmin } from '../../dev/admin'
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

async function createAccount(email: string, username: string) {
  const res = await fetch(`${base}/signup`, {
    method: 'POST',
    headers: {
      Origin: base,
      'Content-Type': 'application/x-www-form-urlencoded',
      // A client of its own, as each browser context is (browser.ts): signups are throttled per
      // address, and the other files' signups must keep theirs.
      'CF-Connecting-IP': `2001:db8:ad:${Math.floor(Math.random() * 0xffff).toString(16)}::1`,
    },
    body: new URLSearchParams({ username, email, password: PASSWORD }),
    redirect: 'manual',
  })
  expect(res.status).toBe(303)
}

async function signIn(page: Page, email: string, js: boolean) {
  await page.goto(`${base}/`)
  if (js) await htmxReady(page)
  await page.getByLabel('Email').fill(email)
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD)
  await page.getByRole('button', { name: 'Sign in' }).click()
}

/** axe in both schemes and a screenshot (only with JavaScript: axe runs in the page). */
async function audited(page: Page, name: string, js: boolean) {
  if (!js) return
  for (const colorScheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme })
    expect(await axeSerious(page), `${name} (${colorScheme})`).toEqual([])
    await screenshot(page, `${name}-${colorScheme}`)
  }
  await page.emulateMedia({ colorScheme: 'light' })
}

/** An action's form on the user page, by its name, with the admin's password. */
async function act(
  page: Page,
  name: string,
  fill?: (form: ReturnType<Page['getByRole']>) => Promise<void>,
) {
  const form = page.getByRole('form', { name })
  await fill?.(form)
  await form.getByLabel('Your password').fill(PASSWORD)
  await form.getByRole('button', { name }).click()
}

/**
 * Grant from the command line, find a user, lock them (they are refused after the right
 * password), unlock them (they sign in again). Both modes run the same steps.
 */
async function journey(js: boolean) {
  const tag = js ? 'htmx' : 'plain'
  const adminEmail = uniqueEmail(`admin-${tag}`)
  const userEmail = uniqueEmail(`member-${tag}`)
  await createAccount(adminEmail, 'Support')
  await createAccount(userEmail, 'Member')
  const admins: BrowserContext = await browser.newContext({ javaScriptEnabled: js })
  const members: BrowserContext = await browser.newContext({ javaScriptEnabled: js })
  try {
    const page = await admins.newPage()
    const errors = watchErrors(page)
    await signIn(page, adminEmail, js)
    await page.waitForURL(`${base}/welcome`)
    // Not an admin yet: the console is a 404 like any missing page.
    const before = await page.goto(`${base}/admin`)
    expect(before!.status()).toBe(404)
    expect(await runAdmin(['grant', adminEmail], { databaseUrl: inject('databaseUrl') })).toEqual([
      `${adminEmail} is now an admin`,
    ])
    // The next request already knows: no new sign-in. The account page links to the console and
    // shows the admin's recent activity inline.
    await page.goto(`${base}/account`)
    if (js) await htmxReady(page)
    const recent = page.getByRole('region', { name: 'Recent activity' })
    await recent.getByText('Signed in with password').first().waitFor()
    await audited(page, `account-admin-${tag}`, js)
    await page.getByRole('link', { name: 'Admin console' }).click()
    await page.getByRole('heading', { name: 'Admin: users' }).waitFor()
    expect(path(page)).toBe('/admin')
    await audited(page, `admin-search-${tag}`, js)

    const member = await members.newPage()
    await signIn(member, userEmail, js)
    await member.waitForURL(`${base}/welcome`)

    await page.getByLabel('Email, username or id').fill(userEmail)
    await page.getByRole('button', { name: 'Search' }).click()
    await page.getByRole('link', { name: userEmail }).click()
    await page.getByRole('heading', { name: /^User \d+$/ }).waitFor()
    expect(path(page)).toMatch(/^\/admin\/users\/\d+$/)
    expect(await page.getByText('Live sessions (1)').count()).toBe(1)
    await audited(page, `admin-user-${tag}`, js)

    // A wrong password first: nothing happens, the form says why.
    await act(page, 'Lock the account', async (form) => {
      await form.getByLabel('Reason (kept for support)').fill('reported for spam')
      await form.getByLabel('Your password').fill('not my password at all')
      await form.getByRole('button', { name: 'Lock the account' }).click()
      await page.getByText('That is not your current password.').waitFor()
      await audited(page, `admin-user-refused-${tag}`, js)
      await page
        .getByRole('form', { name: 'Lock the account' })
        .getByLabel('Reason (kept for support)')
        .fill('reported for spam')
    })
    await page.getByText('The account is locked and signed out everywhere.').waitFor()
    expect(await page.getByText('reported for spam').count()).toBeGreaterThan(0)
    await audited(page, `admin-user-locked-${tag}`, js)

    // The member is signed out, and told of the lock only after the right password.
    await member.goto(`${base}/account`)
    expect(path(member)).toBe('/')
    if (js) await htmxReady(member)
    await member.getByLabel('Email').fill(userEmail)
    await member.getByLabel('Password', { exact: true }).fill('a wrong password, clearly')
    await member.getByRole('button', { name: 'Sign in' }).click()
    await member.getByText('Invalid credentials').first().waitFor()
    expect(await member.getByText('This account is locked').count()).toBe(0)
    await signIn(member, userEmail, js)
    await member.getByRole('heading', { name: 'This account is locked' }).waitFor()
    await audited(member, `locked-${tag}`, js)

    await act(page, 'Unlock the account')
    await page.getByText('The account is unlocked.').waitFor()
    await signIn(member, userEmail, js)
    await member.waitForURL(`${base}/welcome`)
    expect(errors).toEqual([])
  } finally {
    await admins.close()
    await members.close()
  }
}

describe('the admin console in Chromium', () => {
  it('with htmx: grant, find, lock, refused, unlock', () => journey(true), 120_000)
  it('without JavaScript: the same', () => journey(false), 120_000)
})
