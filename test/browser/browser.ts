import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core'

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'

/** Debian's Chromium, headless, with the background traffic that this closed network refuses off. */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  })
}

/** Collects console errors and page errors, CSP violations included, so a test can assert none. */
export function watchErrors(page: Page): string[] {
  const errors: string[] = []
  page.on('console', (msg) => {
    // Chromium reports every 4xx answer as a console error; those statuses are the tested behaviour.
    const status = /the server responded with a status of (4\d\d)/.exec(msg.text())
    if (msg.type() === 'error' && !status) errors.push(msg.text())
  })
  page.on('pageerror', (err) => errors.push(err.message))
  return errors
}

/** Counts full document loads: htmx navigations must not cause any. */
export function countDocumentLoads(context: BrowserContext): () => number {
  let loads = 0
  context.on('request', (req) => {
    if (req.resourceType() === 'document') loads += 1
  })
  return () => loads
}

let counter = 0
export function uniqueEmail(tag: string) {
  counter += 1
  return `${tag}-${Date.now().toString(36)}-${counter}@example.com`
}
