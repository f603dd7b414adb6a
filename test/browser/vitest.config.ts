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
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // One browser and one dev server: run these files one after the other.
    fileParallelism: false,
  },
})
