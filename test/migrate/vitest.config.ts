import { fileURLToPath } from 'node:url'
import { defineProject } from 'vitest/config'

// Adopting the FastAPI app's database with `npm run db:migrate`, against a real private MySQL.
export default defineProject({
  root: fileURLToPath(new URL('.', import.meta.url)),
  test: {
    name: 'migrate',
    environment: 'node',
    include: ['**/*.test.ts'],
    globalSetup: ['./global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
})
