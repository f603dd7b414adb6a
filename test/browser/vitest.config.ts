import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'

const fromRoot = (path: string) => fileURLToPath(new URL(`../../${path}`, import.meta.url))

// Real Chromium against the app under `wrangler dev`, over the real gateway and a private MySQL.
export default defineConfig({
  test: {
    name: 'browser',
    environment: 'node',
    dir: fromRoot('test/browser'),
    include: ['**/*.test.ts'],
    globalSetup: [fromRoot('test/browser/global-setup.ts')],
    setupFiles: [fromRoot('test/browser/failure-report.ts')],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // One browser and one dev server: run these files one after the other.
    fileParallelism: false,
    // The one failure CI has shown here, a page load that hung for 30 s, left no trace of whether
    // wrangler dev (its proxy in front of workerd has known transient failures under load,
    // workers-sdk#14641 and #14926) or the app was at fault. A failed journey runs once more, and
    // failure-report.ts prints what the first try was still waiting for and what the worker logged:
    // a flake stays visible in the log, and a real regression still fails twice.
    retry: 1,
  },
})
