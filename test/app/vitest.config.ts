import { fileURLToPath } from 'node:url'
import { cloudflareTest } from '@cloudflare/vitest-pool-workers'
import { defineConfig } from 'vitest/config'
import { pinnedVars } from './pinned-vars'

const fromRoot = (path: string) => fileURLToPath(new URL(`../../${path}`, import.meta.url))

// The real app in workerd, configured from wrangler.toml, talking to the real gateway and MySQL that
// global-setup.ts starts; only the database URL and test-speed settings are injected. Every other
// documented variable is pinned to its documented default, so a developer's .dev.vars changes nothing.
export default defineConfig({
  plugins: [
    cloudflareTest(({ inject }) => ({
      main: fromRoot('src/index.tsx'),
      wrangler: { configPath: fromRoot('wrangler.toml') },
      miniflare: {
        bindings: pinnedVars(fromRoot('.dev.vars.example'), fromRoot('.dev.vars'), {
          DATABASE_URL: inject('databaseUrl'),
          SESSION_SECRET: 'test-secret-that-is-at-least-32-characters-long',
          ENVIRONMENT: 'test',
          BCRYPT_COST: '4',
        }),
      },
    })),
  ],
  test: {
    name: 'app',
    dir: fromRoot('test/app'),
    include: ['**/*.test.{ts,tsx}'],
    globalSetup: [fromRoot('test/app/global-setup.ts')],
    testTimeout: 20_000,
  },
})
