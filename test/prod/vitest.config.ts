import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'

const fromRoot = (path: string) => fileURLToPath(new URL(`../../${path}`, import.meta.url))

// The deploy bundle served by workerd itself, as production runs it: an https walk through the
// flows with the production config, and the benchmark harness in its quick form.
export default defineConfig({
  test: {
    name: 'prod',
    environment: 'node',
    dir: fromRoot('test/prod'),
    include: ['**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
})
