import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import {
  countDocumentLoads,
  htmxReady,
  launchBrowser,
  path,
  uniqueEmail,
  watchErrors,
} from './browser'

const base = inject('baseUrl')
// expect.poll gives up after 1 s by default: far too soon for a bcrypt request on a busy machine.
const POLL = { timeout: 15_000 }
const PASSWORD = 'a long enough passphrase'
let browser: Browser

beforeAll(async () => {
  browser = await launchBrowser()
})
afterAll(async () => {
  await browser?.close()
})

const MODES = [
  { mode: 'with JavaScript (htmx)', js: true },
  { mode: 'without JavaScript', js: false },
] as const

async function open(js: boolean, url: string): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ javaScriptEnabled: js })
  const page = await context.newPage()
  await page.goto(`${base}${url}`)
  if (js) await htmxReady(page)
  return { context, page }
}

/** The id of the focused element (DevTools evaluation works with the page's JavaScript off too). */
const focusedId = (page: Page) => page.evaluate(() => document.activeElement?.id ?? '')

/** Focus moves after the swap settles (a task later than the new text appears): poll for it. */
async function expectFocus(page: Page, id: string) {
  await expect.poll(() => focusedId(page), POLL).toBe(id)
}

async function signIn(page: Page, password: string) {
  await page.getByLabel('Password', { exact: true }).fill(password)
  await page.getByRole('button', { name: 'Sign in' }).click()
}

/**
 * From the signup page: sign up, fail once, sign in, see the welcome page and sign out, checking
 * what the person sees at each step. The same steps serve the htmx and the plain-form modes.
 */
async function journey(page: Page, username: string, email: string) {
  await page.getByLabel('Username').fill(username)
  await page.getByLabel('Email').fill(email)
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD)
  await page.getByRole('button', { name: 'Create account' }).click()
  await page.getByText('Account created. Sign in with your new password.').waitFor()
  expect(path(page)).toBe('/')
  expect(await page.getByLabel('Email').inputValue()).toBe(email)
  await expectFocus(page, 'field-password')

  await signIn(page, 'not the password')
  await page.getByText('Invalid credentials').waitFor()
  expect(await page.getByRole('alert').textContent()).toBe('Invalid credentials')
  await expectFocus(page, 'field-password')

  await signIn(page, PASSWORD)
  await page.getByRole('heading', { name: `Welcome, ${username}` }).waitFor()
  expect(path(page)).toBe('/welcome')
  expect(await page.title()).toBe('Welcome · edge-auth')

  await page.getByRole('button', { name: 'Sign out' }).click()
  await page.getByText('You are signed out.').waitFor()
  expect(path(page)).toBe('/')
  expect(await page.title()).toBe('Sign in · edge-auth')
}

describe('with JavaScript: htmx partial-page flow', () => {
  it('signs up, logs in, welcomes and logs out without a full page load', async () => {
    const context = await browser.newContext()
    const documentLoads = countDocumentLoads(context)
    const page = await context.newPage()
    const errors = watchErrors(page)
    const email = uniqueEmail('htmx')

    await page.goto(`${base}/`)
    await htmxReady(page)
    await page.evaluate(() => ((window as { marker?: string }).marker = 'alive'))

    await page.getByRole('link', { name: 'Create an account' }).click()
    await page.getByRole('heading', { name: 'Create an account' }).waitFor()
    expect(path(page)).toBe('/signup')
    expect(await page.title()).toBe('Create an account · edge-auth')

    await journey(page, 'Grace <Hopper>', email)

    expect(await page.evaluate(() => (window as { marker?: string }).marker)).toBe('alive')
    expect(documentLoads()).toBe(1)
    expect(errors).toEqual([])
    await context.close()
  })

  it('Back after logout does not show the welcome page again', async () => {
    const { context, page } = await open(true, '/signup')
    await journey(page, 'Back', uniqueEmail('back'))

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

  it('Back and Forward move between swapped pages with their URLs and titles', async () => {
    const { context, page } = await open(true, '/')
    await page.getByRole('link', { name: 'Create an account' }).click()
    await page.getByRole('heading', { name: 'Create an account' }).waitFor()
    // Like a page load, the swap starts the reader on the new heading.
    await expectFocus(page, 'signup-title')

    await page.goBack()
    await page.getByRole('heading', { name: 'Sign in' }).waitFor()
    expect(path(page)).toBe('/')
    expect(await page.title()).toBe('Sign in · edge-auth')

    await page.goForward()
    await page.getByRole('heading', { name: 'Create an account' }).waitFor()
    expect(path(page)).toBe('/signup')
    expect(await page.title()).toBe('Create an account · edge-auth')
    await context.close()
  })

  it('shows and hides the password with a real toggle button', async () => {
    const { context, page } = await open(true, '/signup')
    const password = page.getByLabel('Password', { exact: true })
    const toggle = page.getByRole('button', { name: 'Show password' })
    expect(await toggle.getAttribute('aria-pressed')).toBe('false')
    await password.fill('visible for a moment')
    await toggle.click()
    expect(await toggle.getAttribute('aria-pressed')).toBe('true')
    expect(await password.getAttribute('type')).toBe('text')
    await toggle.click()
    expect(await toggle.getAttribute('aria-pressed')).toBe('false')
    expect(await password.getAttribute('type')).toBe('password')
    await context.close()
  })
})

describe('without JavaScript: plain forms and full pages', () => {
  it('signs up, logs in, welcomes and logs out; Back then shows sign-in, not welcome', async () => {
    const context = await browser.newContext({ javaScriptEnabled: false })
    const documentLoads = countDocumentLoads(context)
    const page = await context.newPage()
    const errors = watchErrors(page)

    await page.goto(`${base}/`)
    await page.getByRole('link', { name: 'Create an account' }).click()
    await page.waitForURL(`${base}/signup`)
    // The show-password button is added by the script: without it there is no dead button.
    expect(await page.getByRole('button', { name: 'Show password' }).count()).toBe(0)
    await journey(page, 'Plain', uniqueEmail('nojs'))

    // no-store kept /welcome out of the back/forward cache: Back asks again and is sent to sign-in.
    await page.goBack()
    await page.getByRole('heading', { name: 'Sign in' }).waitFor()
    expect(await page.getByText('Welcome, Plain').count()).toBe(0)

    await page.goto(`${base}/welcome`)
    expect(path(page)).toBe('/')
    expect(documentLoads()).toBeGreaterThanOrEqual(8)
    expect(errors).toEqual([])
    await context.close()
  })

  it('gives the browser and password managers the hints the server enforces', async () => {
    const { context, page } = await open(false, '/signup')
    const attrs = (id: string) =>
      page.locator(`#${id}`).evaluate((el: HTMLInputElement) => ({
        type: el.type,
        autocomplete: el.autocomplete,
        required: el.required,
        minLength: el.minLength,
        maxLength: el.maxLength,
      }))
    const field = { required: true, minLength: -1, maxLength: -1 }
    expect(await attrs('field-username')).toEqual({
      ...field,
      type: 'text',
      autocomplete: 'nickname',
    })
    expect(await attrs('field-email')).toEqual({
      ...field,
      type: 'email',
      autocomplete: 'email',
      maxLength: 254,
    })
    expect(await attrs('field-password')).toEqual({
      ...field,
      type: 'password',
      autocomplete: 'new-password',
      minLength: 15,
    })
    await page.goto(`${base}/`)
    expect(await attrs('field-email')).toMatchObject({
      autocomplete: 'username webauthn',
      maxLength: 254,
    })
    // No minimum at sign-in: accounts adopted from the old app may have shorter passwords.
    expect(await attrs('field-password')).toMatchObject({
      autocomplete: 'current-password',
      minLength: -1,
    })
    await context.close()
  })

  // After a failed plain login the address bar shows /login: reloading it must not 404.
  // Reload would send the form again (the browser asks first); opening the address as a bookmark
  // or in a new tab is a GET, which answered 404 before /login had one.
  it('opening /login again after a failed login shows the sign-in page', async () => {
    const { context, page } = await open(false, '/')
    await page.getByLabel('Email').fill(uniqueEmail('reload'))
    await signIn(page, 'not the password')
    await page.getByText('Invalid credentials').waitFor()
    expect(path(page)).toBe('/login')
    const reopened = await page.goto(page.url())
    expect(reopened?.status()).toBe(200)
    expect(path(page)).toBe('/')
    await page.getByRole('heading', { name: 'Sign in' }).waitFor()
    await context.close()
  })
})

describe.each(MODES)('usernames $mode', ({ js }) => {
  it('accepts an emoji joined by a zero-width joiner', async () => {
    const { context, page } = await open(js, '/signup')
    await page.getByLabel('Username').fill('Ada 👩🏽‍💻')
    await page.getByLabel('Email').fill(uniqueEmail('zwj'))
    await page.getByLabel('Password', { exact: true }).fill(PASSWORD)
    await page.getByRole('button', { name: 'Create account' }).click()
    await page.getByText('Account created.').waitFor()
    await signIn(page, PASSWORD)
    await page.getByRole('heading', { name: 'Welcome, Ada 👩🏽‍💻' }).waitFor()
    await context.close()
  })
})

describe.each(MODES)('signup validation $mode', ({ js }) => {
  const long = 'x'.repeat(65)
  const cases = [
    { field: 'username', username: '   ', message: 'Choose a username.' },
    { field: 'username', username: long, message: 'Use at most 64 characters.' },
    { field: 'username', username: 'a\u200bb', message: 'Use visible characters only.' },
    { field: 'email', email: 'grace@example', message: 'Enter an email like name@example.com.' },
    {
      field: 'password',
      password: 'too short',
      message: 'Use at least 15 characters (you have 9).',
    },
    { field: 'password', password: '😀'.repeat(20), message: 'Use at most 72 bytes' },
    { field: 'password', password: '123456789012345', message: 'This password is too common.' },
    {
      field: 'password',
      username: 'marguerite',
      password: 'marguerite and friends',
      message: 'Do not use your username or email in your password.',
    },
  ]

  it('shows each error next to its field, announced, with focus on it', async () => {
    const { context, page } = await open(js, '/signup')
    for (const c of cases) {
      const email = c.email ?? uniqueEmail('invalid')
      await page.getByLabel('Username').fill(c.username ?? 'Valid name')
      await page.getByLabel('Email').fill(email)
      await page.getByLabel('Password', { exact: true }).fill(c.password ?? PASSWORD)
      // The server's checks are what is tested here: skip the browser's own minlength check.
      await page.evaluate(() => document.querySelector('form')!.setAttribute('novalidate', ''))
      await page.getByRole('button', { name: 'Create account' }).click()

      // Poll: until the answer is swapped in, the previous case's message is still there.
      const error = page.locator(`#field-${c.field}-error`)
      await expect.poll(() => error.textContent().catch(() => ''), POLL).toContain(c.message)
      const input = page.locator(`#field-${c.field}`)
      expect(await input.getAttribute('aria-invalid')).toBe('true')
      expect(await input.getAttribute('aria-describedby')).toContain(`field-${c.field}-error`)
      expect(await page.getByRole('alert').first().textContent()).toBe(
        'Check the highlighted fields.',
      )
      await expectFocus(page, `field-${c.field}`)
      expect(await page.locator('form').count()).toBe(1)
      // The password is never sent back; what else was typed is kept.
      expect(await page.getByLabel('Password', { exact: true }).inputValue()).toBe('')
      if (c.field !== 'email') expect(await page.getByLabel('Email').inputValue()).toBe(email)
    }
    await context.close()
  })

  it('refuses a second account for the same email, on the email field', async () => {
    const { context, page } = await open(js, '/signup')
    const email = uniqueEmail('dup')
    for (const name of ['First', 'Second']) {
      await page.goto(`${base}/signup`)
      if (js) await htmxReady(page)
      await page.getByLabel('Username').fill(name)
      await page.getByLabel('Email').fill(email)
      await page.getByLabel('Password', { exact: true }).fill(PASSWORD)
      await page.getByRole('button', { name: 'Create account' }).click()
      if (name === 'First') await page.getByText('Account created.').waitFor()
    }
    const taken = 'An account with this email already exists. Sign in instead.'
    await page.locator('#field-email-error').getByText(taken).waitFor()
    expect(await page.getByRole('alert').first().textContent()).toBe(taken)
    await expectFocus(page, 'field-email')
    expect(await page.getByLabel('Username').inputValue()).toBe('Second')
    await context.close()
  })
})

describe.each(MODES)('keyboard only $mode', ({ js }) => {
  /** Presses Tab until the element with this id (or the Sign out button) has focus. */
  async function tabTo(page: Page, id: string) {
    const current = () =>
      page.evaluate(() => {
        const el = document.activeElement
        return el?.textContent?.trim() === 'Sign out' ? 'sign-out' : (el?.id ?? '')
      })
    for (let i = 0; i < 12; i += 1) {
      if ((await current()) === id) return
      await page.keyboard.press('Tab')
    }
    throw new Error(`Tab never reached ${id}`)
  }

  it('signs up, signs in and signs out with Tab, typing and Enter', async () => {
    const { context, page } = await open(js, '/signup')
    const email = uniqueEmail('keys')
    await tabTo(page, 'field-username')
    await page.keyboard.type('Keys Only')
    await page.keyboard.press('Tab')
    await page.keyboard.type(email)
    await page.keyboard.press('Tab')
    await page.keyboard.type(PASSWORD)
    if (js) {
      // The next stop is the show-password toggle, which Enter (or Space) presses.
      await page.keyboard.press('Tab')
      expect(await page.evaluate(() => document.activeElement?.className)).toBe('reveal-toggle')
      await page.keyboard.press('Enter')
      expect(await page.locator('#field-password').getAttribute('type')).toBe('text')
      await page.keyboard.press('Shift+Tab')
    }
    await page.keyboard.press('Enter')
    await page.getByText('Account created.').waitFor()

    // The new account's email is filled in and focus waits in the password field.
    await expectFocus(page, 'field-password')
    await page.keyboard.type(PASSWORD)
    await page.keyboard.press('Enter')
    await page.getByRole('heading', { name: 'Welcome, Keys Only' }).waitFor()

    await tabTo(page, 'sign-out')
    await page.keyboard.press('Enter')
    await page.getByText('You are signed out.').waitFor()
    await context.close()
  })
})
