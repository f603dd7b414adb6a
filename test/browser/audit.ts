import { mkdirSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'
import type { Page } from 'playwright-core'

const axeSource = readFileSync(
  createRequire(import.meta.url).resolve('axe-core/axe.min.js'),
  'utf8',
)

export interface AxeFinding {
  id: string
  impact: string | null
  help: string
  targets: string[]
}

/**
 * Runs axe-core in the page and returns its serious and critical findings. axe is evaluated through
 * the DevTools protocol: the page's CSP (script-src 'self') rightly refuses an injected <script>,
 * and DevTools evaluation is not subject to it.
 */
export async function axeSerious(page: Page): Promise<AxeFinding[]> {
  const cdp = await page.context().newCDPSession(page)
  try {
    const load = await cdp.send('Runtime.evaluate', { expression: axeSource })
    if (load.exceptionDetails) throw new Error(`axe did not load: ${load.exceptionDetails.text}`)
    const run = await cdp.send('Runtime.evaluate', {
      expression: `axe.run(document, { resultTypes: ['violations'] }).then((r) =>
        r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help,
          targets: v.nodes.map((n) => n.target.join(' ')) })))`,
      awaitPromise: true,
      returnByValue: true,
    })
    if (run.exceptionDetails) throw new Error(`axe failed: ${run.exceptionDetails.text}`)
    const findings = run.result.value as AxeFinding[]
    return findings.filter((f) => f.impact === 'serious' || f.impact === 'critical')
  } finally {
    await cdp.detach()
  }
}

export const screenshotDir = fileURLToPath(new URL('../../.data/screenshots/', import.meta.url))

/** Writes a full-page screenshot to .data/screenshots (git-ignored) for people to look at. */
export async function screenshot(page: Page, name: string) {
  mkdirSync(screenshotDir, { recursive: true })
  await page.screenshot({ path: `${screenshotDir}${name}.png`, fullPage: true })
}
