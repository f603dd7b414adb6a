import type { Browser, BrowserContext, CDPSession, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { base32Decode, stepOf, totp } from '../app/totp-reference'
import { axeSerious, screenshot } from './audit'
import { htmxReady, launchBrowser, path, uniqueEmail, watchErrors } from './browser'

// Passkeys in real Chromium with a CDP virtual authenticator (ctap2, internal, resident keys, user
// verification). The RP ID must be exactly `localhost` (127.0.0.1 is "an invalid domain"), so
// these journeys open the app at http://localhost:PORT.

const base = inject('baseUrl').replace('127.0.0.1', 'localhost')
const PASSWORD = 'a long enough passphrase'
let browser: Browser

beforeAll(async () => {
  browser = await launchBrowser()
})
afterAll(async () => {
  await browser?.close()
})

async function withAuthenticator(context: BrowserContext, page: Page) {
  const cdp: CDPSession = await context.newCDPSession(page)
  await cdp.send('WebAuthn.enable')
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2',
      transport: 'internal',
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
    },
  })
  return { cdp, authenticatorId }
}

async function audited(page: Page, name: string) {
  for (const colorScheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme })
    expect(await axeSerious(page), `${name} (${colorScheme})`).toEqual([])
    await screenshot(page, `passkeys-${name}-${colorScheme}`)
  }
  await page.emulateMedia({ colorScheme: 'light' })
}

async function signUpAndIn(page: Page, email: string) {
  await page.goto(`${base}/signup`)
  await page.getByLabel('Username').fill('Grace')
  await page.getByLabel('Email').fill(email)
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD)
  await page.getByRole('button', { name: 'Create account' }).click()
  await page.getByText('Account created.').waitFor()
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD)
  await page.getByRole('button', { name: 'Sign in', exact: true }).click()
  await page.getByRole('heading', { name: 'Welcome, Grace' }).waitFor()
}

async function signOut(page: Page) {
  await page.goto(`${base}/welcome`)
  await page.getByRole('button', { name: 'Sign out' }).click()
  await page.waitForURL((url) => url.pathname === '/')
}

describe('passkeys in Chromium', () => {
  it('add, refuse a duplicate, sign in by button and by autofill, second factor, remove', async () => {
    const context = await browser.newContext()
    const page = await context.newPage()
    const errors = watchErrors(page)
    await withAuthenticator(context, page)
    const email = uniqueEmail('passkey')
    await signUpAndIn(page, email)

    // Add a passkey.
    await page.goto(`${base}/account`)
    expect(await page.getByRole('link', { name: 'Passkeys' }).getAttribute('href')).toBe(
      '/account/passkeys',
    )
    await page.goto(`${base}/account/passkeys`)
    await htmxReady(page)
    const add = page.getByRole('form', { name: 'Add a passkey' })
    await add.getByLabel('Name').fill('Virtual key')
    await add.getByLabel('Your password').fill(PASSWORD)
    await add.getByRole('button', { name: 'Add a passkey' }).click()
    await page.getByText('Your passkey was added.').waitFor()
    expect(await page.getByText('Virtual key').count()).toBe(1)

    // The same authenticator again: excludeCredentials makes the browser refuse it.
    await page
      .getByRole('form', { name: 'Add a passkey' })
      .getByLabel('Your password')
      .fill(PASSWORD)
    await page.getByRole('button', { name: 'Add a passkey' }).click()
    await page.getByText('This device already has a passkey for your account.').waitFor()

    // Sign in with the button (its own page: no autofill request there).
    // Signed out by dropping the cookies: the sign-out lands on the sign-in page, whose autofill
    // request would sign straight back in (tested next) and race this navigation.
    await context.clearCookies()
    await page.goto(`${base}/login/passkey`)
    await htmxReady(page)
    await page.getByRole('button', { name: 'Use a passkey' }).click()
    await page.getByRole('heading', { name: 'Welcome, Grace' }).waitFor()

    // By autofill: the sign-in page's email field offers passkeys (conditional mediation, which
    // headless Chromium answers at once, so the wiring is checked by its attribute too).
    const signInHtml = await (await fetch(`${base}/`)).text()
    expect(signInHtml).toContain('autocomplete="username webauthn"')
    await page.goto(`${base}/welcome`)
    // Waited for by its answer: the old welcome page's heading is still there for a moment.
    const autofilled = page.waitForResponse(
      (r) => new URL(r.url()).pathname === '/login/passkey' && r.request().method() === 'POST',
    )
    await page.getByRole('button', { name: 'Sign out' }).click()
    expect((await autofilled).status()).toBe(303)
    await page.waitForLoadState('load')
    await page.getByRole('heading', { name: 'Welcome, Grace' }).waitFor()
    expect(path(page)).toBe('/welcome')

    // axe in tabs of their own: in this Chromium a ceremony started after axe and emulateMedia
    // ran on a page never settled (not looked into further), and this page has more to come.
    const tab = await context.newPage()
    await tab.goto(`${base}/account/passkeys`)
    await htmxReady(tab)
    await audited(tab, 'one')
    await tab.goto(`${base}/login/passkey`)
    await audited(tab, 'sign-in-signed-in-redirect')
    await tab.close()

    // Remove it.
    await page.goto(`${base}/account/passkeys`)
    await htmxReady(page)
    await page.getByText('Remove', { exact: true }).click()
    const remove = page.getByRole('form', { name: 'Remove Virtual key' })
    await remove.getByLabel('Your password').fill(PASSWORD)
    await remove.getByRole('button', { name: 'Remove this passkey' }).click()
    await page.getByText('The passkey was removed.').waitFor()
    await page.getByText('You have no passkeys yet.').waitFor()
    // The Signal API's marker was read by the script (it removes it once sent).
    expect(await page.locator('[data-passkey-accepted]').count()).toBe(0)
    // In a tab of its own, so this page's next ceremony still settles (see above).
    const audit = await context.newPage()
    await audit.goto(`${base}/account/passkeys`)
    await htmxReady(audit)
    await audited(audit, 'none')
    await audit.close()

    // A username change: the account page's notice sends the current details (where the
    // browser has signalCurrentUserDetails; nothing, and no error, where it has not).
    await page.goto(`${base}/account/username`)
    await page.getByLabel('New username').fill('Grace Hopper')
    await page.getByRole('button', { name: 'Change username' }).click()
    await page.getByText('Your username is changed.').waitFor()
    await expect.poll(() => page.locator('[data-notice="username_changed"]').count()).toBe(0)

    // Chromium's signalAllAcceptedCredentials above took the removed passkey out of the virtual
    // authenticator, so the button finds none ('unused'); where a browser still offers it, the
    // server calls it unknown (the next journey tests that path).
    await context.clearCookies()
    await page.goto(`${base}/login/passkey`)
    await htmxReady(page)
    const answered = page
      .waitForResponse(
        (r) => new URL(r.url()).pathname === '/login/passkey' && r.request().method() === 'POST',
      )
      .then((r) => r.status())
    const unused = page
      .getByText('The passkey was not used.')
      .waitFor()
      .then(() => 'unused')
    await page.getByRole('button', { name: 'Use a passkey' }).click()
    const outcome = await Promise.race([answered, unused])
    if (outcome !== 'unused') {
      expect(outcome).toBe(400)
      await page.getByText('That passkey was not accepted.').waitFor()
      await htmxReady(page)
      expect(await page.locator('[data-passkey-unknown]').count()).toBe(0)
    }
    await audited(page, 'sign-in')
    expect(errors).toEqual([])
    await context.close()
  })

  it('a passkey the server does not know is reported to signalUnknownCredential', async () => {
    const context = await browser.newContext()
    const page = await context.newPage()
    const errors = watchErrors(page)
    const { cdp, authenticatorId } = await withAuthenticator(context, page)
    // A passkey for this RP that no account has (removed on another device, say).
    const keys = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, [
      'sign',
    ])
    const pkcs8 = new Uint8Array(await crypto.subtle.exportKey('pkcs8', keys.privateKey))
    const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64')
    await cdp.send('WebAuthn.addCredential', {
      authenticatorId,
      credential: {
        credentialId: b64(crypto.getRandomValues(new Uint8Array(16))),
        isResidentCredential: true,
        rpId: 'localhost',
        privateKey: b64(pkcs8),
        userHandle: b64(crypto.getRandomValues(new Uint8Array(32))),
        signCount: 0,
      },
    })
    const held = async () =>
      (await cdp.send('WebAuthn.getCredentials', { authenticatorId })).credentials.length
    expect(await held()).toBe(1)
    await page.goto(`${base}/login/passkey`)
    await htmxReady(page)
    const answered = page.waitForResponse(
      (r) => new URL(r.url()).pathname === '/login/passkey' && r.request().method() === 'POST',
    )
    await page.getByRole('button', { name: 'Use a passkey' }).click()
    expect((await answered).status()).toBe(400)
    await page.getByText('That passkey was not accepted.').waitFor()
    // The script read the page's marker and sent it (it removes the marker once sent).
    await expect.poll(() => page.locator('[data-passkey-unknown]').count()).toBe(0)
    // Chromium has the Signal API: the authenticator no longer offers the passkey.
    await expect.poll(held).toBe(0)
    expect(errors).toEqual([])
    await context.close()
  })

  it('a passkey stands in for the code at the second step and in sudo mode', async () => {
    const context = await browser.newContext()
    const page = await context.newPage()
    const errors = watchErrors(page)
    await withAuthenticator(context, page)
    const email = uniqueEmail('passkey-2fa')
    await signUpAndIn(page, email)
    await page.goto(`${base}/account/passkeys`)
    await htmxReady(page)
    const add = page.getByRole('form', { name: 'Add a passkey' })
    await add.getByLabel('Your password').fill(PASSWORD)
    await add.getByRole('button', { name: 'Add a passkey' }).click()
    await page.getByText('Your passkey was added.').waitFor()

    await page.goto(`${base}/account/two-factor`)
    await page.getByLabel('Your password').fill(PASSWORD)
    await page.getByRole('button', { name: 'Set up an authenticator app' }).click()
    const key = base32Decode((await page.locator('#totp-key').textContent())!)
    await page.getByLabel('6-digit code').fill(await totp(key, stepOf(Date.now() / 1000) - 1))
    await page.getByRole('button', { name: 'Turn on two-factor sign-in' }).click()
    await page.getByRole('heading', { name: 'Save your recovery codes' }).waitFor()

    // Sign in with the password. The sign-in page itself would sign straight in through its
    // autofill request (a passkey is both factors: the first journey), so the password goes in
    // by a request of this browser's own, with its cookies, and the browser then opens the step.
    await context.clearCookies()
    await page.goto('about:blank')
    const first = await page.request.post(`${base}/login`, {
      form: { email, password: PASSWORD },
      headers: { Origin: base },
      maxRedirects: 0,
    })
    expect(first.headers()['location']).toBe('/login/two-factor')
    // axe on the second step, light and dark, in a tab of its own: a ceremony started on a page
    // after axe and emulateMedia ran there never settled in this Chromium (the first journey).
    const audit = await context.newPage()
    await audit.goto(`${base}/login/two-factor/passkey`)
    await htmxReady(audit)
    await audit.getByRole('button', { name: 'Use your passkey' }).waitFor()
    await audited(audit, 'second-step')
    await audit.close()
    await page.goto(`${base}/login/two-factor`)
    await htmxReady(page)
    await page.getByRole('link', { name: 'Use a passkey instead' }).click()
    await page.getByRole('heading', { name: 'Use your passkey' }).waitFor()
    await page.getByRole('button', { name: 'Use your passkey' }).click()
    await page.getByRole('heading', { name: 'Welcome, Grace' }).waitFor()

    // Sudo mode: the passkey confirms "sign out everywhere else" in place of the code.
    await page.goto(`${base}/account/sessions`)
    await htmxReady(page)
    const others = page.getByRole('form', { name: 'Sign out everywhere else' })
    await others.getByLabel('Your password').fill(PASSWORD)
    await others.getByRole('button', { name: 'Use a passkey instead' }).click()
    await page.getByText('You are signed out everywhere else.').waitFor()

    // And a password change, where the form has the code field too; without the password the
    // browser asks for it first and no ceremony starts.
    await page.goto(`${base}/account/password`)
    await htmxReady(page)
    await page.getByRole('button', { name: 'Use a passkey instead' }).click()
    expect(
      await page.locator('input[name="second_factor"]:not([type="hidden"])').isDisabled(),
    ).toBe(false)
    await page.getByLabel('Current password').fill(PASSWORD)
    await page.getByLabel('New password').fill(PASSWORD + ' two')
    await page.getByRole('button', { name: 'Use a passkey instead' }).click()
    await page.getByText('Your password is changed', { exact: false }).waitFor()
    expect(errors).toEqual([])
    await context.close()
  })
})
