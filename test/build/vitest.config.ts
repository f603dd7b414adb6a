import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'

const fromRoot = (path: string) => fileURLToPath(new URL(`../../${path}`, import.meta.url))

// What CI must catch besides behaviour: a bundle wrangler cannot build, type errors, formatting.
export default defineConfig({
  test: {
    name: 'build',
    environment: 'node',
    dir: fromRoot('test/build'),
    include: ['**/*.test.ts'],
    testTimeout: 180_000,
  },
})
