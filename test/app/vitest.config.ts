import { fileURLToPath } from 'node:url'
import { cloudflareTest } from '@cloudflare/vitest-pool-workers'
import { defineConfig } from 'vitest/config'
import { findSentMail } from '../../dev/outbox'

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
          MAIL_FROM: 'no-reply@edge-auth.test',
          // The default (`optional`) mails a link after every signup, in waitUntil, which would
          // add statements to other tests' counts; the mail tests set each mode explicitly.
          EMAIL_VERIFICATION: 'off',
        },
        // Mail goes through the real (simulated) EMAIL binding from wrangler.toml, which writes each
        // message to a temp .eml file; the pool logs below INFO only, so tests read those files
        // back through this Node-side binding (test/app/mail-outbox.ts). Nothing here sends mail.
        serviceBindings: {
          OUTBOX: async (request: Request) => {
            const to = new URL(request.url).searchParams.get('to') ?? ''
            return Response.json(await findSentMail(to))
          },
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
