import { fileURLToPath } from 'node:url'
import { cloudflareTest } from '@cloudflare/vitest-pool-workers'
import { defineConfig } from 'vitest/config'

const fromRoot = (path: string) => fileURLToPath(new URL(`../../${path}`, import.meta.url))

// The real app in workerd, configured from wrangler.toml, talking to the real gateway and MySQL that
// global-setup.ts starts; only the database URL and test-speed settings are injected.
export default defineConfig({
  plugins: [
    cloudflareTest(({ inject }) => ({
      main: fromRoot('src/index.tsx'),
      wrangler: { configPath: fromRoot('wrangler.toml') },
      miniflare: {
        bindings: {
          DATABASE_URL: inject('databaseUrl'),
          SESSION_SECRET: 'test-secret-that-is-at-least-32-characters-long',
          ENVIRONMENT: 'test',
          BCRYPT_COST: '4',
          PWNED_PASSWORDS_URL: inject('pwnedUrl'),
        },
      },
    })),
  ],
  test: {
    name: 'app',
    dir: fromRoot('test/app'),
    include: ['**/*.test.{ts,tsx}'],
    globalSetup: [fromRoot('test/app/global-setup.ts'), fromRoot('test/app/pwned-setup.ts')],
    testTimeout: 20_000,
  },
})
