import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { axeSerious, screenshot } from './audit'
import {
  cspViolations,
  htmxReady,
  launchBrowser,
  recordCspViolations,
  uniqueEmail,
  watchErrors,
} from './browser'

const base = inject('baseUrl')
const PASSWORD = 'a long enough passphrase'
const SCHEMES = ['light', 'dark'] as const
const WIDTHS = { phone: { width: 390, height: 844 }, desktop: { width: 1280, height: 800 } }

let browser: Browser
let context: BrowserContext
let page: Page
let errors: string[]
const email = uniqueEmail('ada')

beforeAll(async () => {
  browser = await launchBrowser()
  context = await browser.newContext({ viewport: WIDTHS.desktop })
  await recordCspViolations(context)
  page = await context.newPage()
  errors = watchErrors(page)
})
afterAll(async () => {
  await browser?.close()
})

async function go(url: string) {
  await page.goto(`${base}${url}`)
  await htmxReady(page)
}

async function fillSignup(username: string, address: string, password: string) {
  await page.getByLabel('Username').fill(username)
  await page.getByLabel('Email').fill(address)
  await page.getByLabel('Password', { exact: true }).fill(password)
}

/**
 * Every page and error state a person can meet, reached as a person would (htmx on). Each one is
 * checked by axe in both colour schemes and photographed at both widths in both schemes.
 */
const states: { name: string; reach: () => Promise<unknown> }[] = [
  { name: 'sign-in', reach: () => go('/') },
  { name: 'create-account', reach: () => go('/signup') },
  {
    name: 'create-account-errors',
    reach: async () => {
      await go('/signup')
      await fillSignup('   ', 'grace@example', 'too short')
      // The server's messages are the state to audit: skip the browser's own checks.
      await page.evaluate(() => document.querySelector('form')!.setAttribute('novalidate', ''))
      await page.getByRole('button', { name: 'Create account' }).click()
      await page.locator('#field-password-error').waitFor()
    },
  },
  {
    name: 'account-created',
    reach: async () => {
      await go('/signup')
      await fillSignup('Ada Lovelace', email, PASSWORD)
      await page.getByRole('button', { name: 'Create account' }).click()
      await page.getByText('Account created.').waitFor()
    },
  },
  {
    name: 'create-account-duplicate',
    reach: async () => {
      await go('/signup')
      await fillSignup('Ada again', email, PASSWORD)
      await page.getByRole('button', { name: 'Create account' }).click()
      await page.locator('#field-email-error').waitFor()
    },
  },
  {
    name: 'sign-in-failed',
    reach: async () => {
      await go('/')
      await page.getByLabel('Email').fill(email)
      await page.getByLabel('Password', { exact: true }).fill('not the password')
      await page.getByRole('button', { name: 'Sign in' }).click()
      await page.getByText('Invalid credentials').waitFor()
    },
  },
  {
    name: 'welcome',
    reach: async () => {
      await page.getByLabel('Password', { exact: true }).fill(PASSWORD)
      await page.getByRole('button', { name: 'Sign in' }).click()
      await page.getByRole('heading', { name: 'Welcome, Ada Lovelace' }).waitFor()
    },
  },
  // The account's own pages, signed in (the welcome state's session), as their menu opens them.
  ...(
    [
      ['account', '/account', 'Your account'],
      ['account-username', '/account/username', 'Change username'],
      ['account-email', '/account/email', 'Change your email address'],
      ['account-password', '/account/password', 'Change password'],
      ['account-sessions', '/account/sessions', 'Your sessions'],
      ['account-activity', '/account/activity', 'Recent activity'],
      ['account-delete', '/account/delete', 'Delete account'],
    ] as const
  ).map(([name, url, heading]) => ({
    name,
    reach: async () => {
      await go(url)
      await page.getByRole('heading', { name: heading, exact: true }).waitFor()
    },
  })),
  {
    name: 'signed-out',
    reach: async () => {
      await go('/welcome')
      await page.getByRole('button', { name: 'Sign out' }).click()
      await page.getByText('You are signed out.').waitFor()
    },
  },
  {
    name: 'forgot-password',
    reach: async () => {
      await go('/forgot')
      await page.getByRole('heading', { name: 'Forgot your password?' }).waitFor()
    },
  },
  {
    name: 'sign-out-confirm',
    reach: async () => {
      // A link from another site (localhost is another site than 127.0.0.1) to GET /logout.
      await page.goto(`${base.replace('127.0.0.1', 'localhost')}/favicon.svg`)
      await page.evaluate((href) => {
        const link = document.createElementNS('http://www.w3.org/1999/xhtml', 'a')
        link.setAttribute('href', href)
        document.documentElement.append(link)
        ;(link as HTMLAnchorElement).click()
      }, `${base}/logout`)
      await page.getByRole('heading', { name: 'Sign out?' }).waitFor()
      await htmxReady(page)
    },
  },
  {
    name: 'not-found',
    reach: async () => {
      await page.goto(`${base}/no-such-page`)
      await page.getByRole('heading', { name: 'Not found' }).waitFor()
    },
  },
]

describe('every page and state, light and dark', () => {
  it.each(states)('$name: no serious axe findings, no CSP violation, screenshots', async (s) => {
    await s.reach()
    for (const colorScheme of SCHEMES) {
      await page.emulateMedia({ colorScheme })
      expect(await axeSerious(page), `${s.name} (${colorScheme})`).toEqual([])
      for (const [label, size] of Object.entries(WIDTHS)) {
        await page.setViewportSize(size)
        await screenshot(page, `${s.name}-${label}-${colorScheme}`)
      }
      await page.setViewportSize(WIDTHS.desktop)
    }
    await page.emulateMedia({ colorScheme: 'light' })
    expect(await cspViolations(page)).toEqual([])
    expect(errors).toEqual([])
  })
})

describe('the Content-Security-Policy', () => {
  it('refuses an injected inline script, which is why axe is evaluated through DevTools', async () => {
    await go('/')
    const refusals: string[] = []
    page.on('console', (msg) => {
      if (msg.text().includes('Content Security Policy')) refusals.push(msg.text())
    })
    await page.addScriptTag({ content: 'window.injected = true' }).catch(() => undefined)
    expect(await page.evaluate(() => 'injected' in window)).toBe(false)
    await expect.poll(() => refusals.length, { timeout: 15_000 }).toBeGreaterThan(0)
    expect(await cspViolations(page)).toContainEqual(expect.stringContaining('script-src'))
  })
})

describe('the accessibility audit', () => {
  it('does report a serious problem when there is one', async () => {
    await go('/')
    // An input without any label: axe calls this critical.
    await page.evaluate(() =>
      document.querySelector('form')!.append(document.createElement('input')),
    )
    const findings = await axeSerious(page)
    expect(findings.map((f) => f.id)).toContain('label')
  })
})
