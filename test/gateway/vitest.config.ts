import { fileURLToPath } from 'node:url'
import { defineProject } from 'vitest/config'

// Conformance of the local PlanetScale gateway, exercised with the real driver and drizzle in Node.
export default defineProject({
  // Rooted here so the same paths work under the root config's `projects` and with `-c`.
  root: fileURLToPath(new URL('.', import.meta.url)),
  test: {
    name: 'gateway',
    environment: 'node',
    include: ['**/*.test.ts'],
    globalSetup: ['./global-setup.ts'],
    testTimeout: 20_000,
    hookTimeout: 60_000,
  },
})
