import {
  chromium,
  type Browser,
  type BrowserContext,
  type Page,
  type Request,
} from 'playwright-core'
import { inject } from 'vitest'

/** A client address of its own (an IPv6 /64 nobody else uses). */
function uniqueAddress() {
  const group = () => Math.floor(Math.random() * 0x10000).toString(16)
  return `2001:db8:${group()}:${group()}::1`
}

/**
 * Debian's Chromium, headless. Each browser context is a person of its own: on Cloudflare each
 * would arrive with its own `CF-Connecting-IP`, and the app throttles signups and sign-ins per
 * address, so a suite that makes dozens of accounts from one address would be throttled.
 */
export async function launchBrowser(): Promise<Browser> {
  const browser = await launchChromium()
  const newContext = browser.newContext.bind(browser)
  browser.newContext = async (options = {}) => {
    const context = await newContext({
      ...options,
      extraHTTPHeaders: { 'CF-Connecting-IP': uniqueAddress(), ...options.extraHTTPHeaders },
    })
    trackRequests(context)
    return context
  }
  return browser
}

/** Requests sent and not yet answered, across every context: what a failed test reports. */
const inFlight = new Map<Request, { since: number; context: BrowserContext }>()

function trackRequests(context: BrowserContext) {
  context.on('request', (req) => inFlight.set(req, { since: Date.now(), context }))
  context.on('requestfinished', (req) => inFlight.delete(req))
  context.on('requestfailed', (req) => inFlight.delete(req))
  context.on('close', () => {
    for (const [req, seen] of inFlight) if (seen.context === context) inFlight.delete(req)
  })
}

/** One line per request still waiting for its answer, oldest first, with how long it has waited. */
export function unansweredRequests(now = Date.now()): string[] {
  return [...inFlight].map(([req, { since }]) => {
    const url = new URL(req.url())
    return `${req.method()} ${url.pathname} (${req.resourceType()}, waiting ${now - since} ms)`
  })
}

/** The Chromium found by the global setup, headless, with background traffic off (no network). */
function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: inject('chromiumPath'),
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

/**
 * Collects console errors and page errors, so a test can assert none. Chromium reports every CSP
 * violation as a console error ("Refused to …"), and with JavaScript on the page also records
 * `securitypolicyviolation` events, read by `cspViolations`.
 */
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

/** Records CSP violations in every page of the context (an init script, which CSP does not govern). */
export async function recordCspViolations(context: BrowserContext) {
  await context.addInitScript(() => {
    const seen: string[] = ((window as { cspViolations?: string[] }).cspViolations = [])
    document.addEventListener('securitypolicyviolation', (e) =>
      seen.push(`${e.violatedDirective} ${e.blockedURI}`),
    )
  })
}

export function cspViolations(page: Page): Promise<string[]> {
  return page.evaluate(() => (window as { cspViolations?: string[] }).cspViolations ?? [])
}

/** Counts full document loads: htmx navigations must not cause any. */
export function countDocumentLoads(context: BrowserContext): () => number {
  let loads = 0
  context.on('request', (req) => {
    if (req.resourceType() === 'document') loads += 1
  })
  return () => loads
}

/** Counts requests with this method and path made from the context. */
export function countRequests(context: BrowserContext, method: string, path: string): () => number {
  let count = 0
  context.on('request', (req) => {
    if (req.method() === method && new URL(req.url()).pathname === path) count += 1
  })
  return () => count
}

/** Resolves once htmx has loaded and processed the page (it is deferred, like /js/app.js). */
export async function htmxReady(page: Page) {
  await page.waitForFunction(() => 'htmx' in window && document.readyState === 'complete')
}

export const path = (page: Page) => new URL(page.url()).pathname

let counter = 0
export function uniqueEmail(tag: string) {
  counter += 1
  return `${tag}-${Date.now().toString(36)}-${counter}@example.com`
}
