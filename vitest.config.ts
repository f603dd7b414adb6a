import { defineConfig } from 'vitest/config'

// One project per runtime: the app in workerd, the gateway and the browser flows in Node.
export default defineConfig({
  test: {
    projects: ['test/*/vitest.config.ts'],
  },
})
