import { fileURLToPath } from 'node:url'
import { cloudflareTest } from '@cloudflare/vitest-pool-workers'
import { defineConfig } from 'vitest/config'
import { findSentMail } from '../../dev/outbox'
import { pinnedVars } from '../pinned-vars'
// Brings the names it provides (pwnedUrl) into the config's types.
import type {} from './pwned-setup'

const fromRoot = (path: string) => fileURLToPath(new URL(`../../${path}`, import.meta.url))

// Tests that take the database away on purpose (a refused connection) make workerd print its native
// stack (code addresses) under a one-line message; vitest-pool-workers prints it with no option to
// filter. Only those expected lines are dropped; every other line of output passes.
const EXPECTED_OUTAGE_NOISE = [
  /^stack: (\S+@[0-9a-f]+ ?)+$/,
  /^exception = kj\/async-io-unix\.c\+\+:\d+: disconnected: connect\(\): Connection refused$/,
  /^uncaught exception; .*Network connection lost\.$/,
  // outage.test.ts: a database answer cut off after its headers.
  /^exception = kj\/compat\/http\.c\+\+:\d+: disconnected: premature EOF in HTTP entity body;.*$/,
]
// workerd's stdio arrives as strings or Buffers, on stdout or stderr depending on its log level.
for (const stream of [process.stdout, process.stderr]) {
  const write = stream.write.bind(stream)
  stream.write = ((chunk: string | Uint8Array, ...rest: never[]) => {
    const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8')
    if (!/Connection refused|Network connection lost|premature EOF|^stack: /m.test(text))
      return write(chunk, ...rest)
    const kept = text
      .split('\n')
      .filter((line) => !EXPECTED_OUTAGE_NOISE.some((re) => re.test(line)))
      .join('\n')
    return kept.trim() === '' ? true : write(kept, ...rest)
  }) as typeof stream.write
}

/** What sets the mounted run of the flow tests (test/app-mounted) apart from this project. */
export interface AppProject {
  name: string
  /** Globs under test/app. */
  include: string[]
  /** Variables pinned on top of the tests' own (MOUNT_PATH). */
  vars?: Record<string, string>
}

// The real app in workerd, configured from wrangler.toml, talking to the real gateway and MySQL that
// global-setup.ts starts; only the database URL and test-speed settings are injected. Every other
// documented variable is pinned to its documented default, so a developer's .dev.vars changes nothing.
export const appProject = ({ name, include, vars = {} }: AppProject) =>
  defineConfig({
    plugins: [
      cloudflareTest(({ inject }) => ({
        main: fromRoot('src/index.tsx'),
        wrangler: { configPath: fromRoot('wrangler.toml') },
        miniflare: {
          bindings: pinnedVars(fromRoot('.dev.vars.example'), fromRoot('.dev.vars'), {
            DATABASE_URL: inject('databaseUrl'),
            SESSION_SECRET: 'test-secret-that-is-at-least-32-characters-long',
            TOTP_ENCRYPTION_KEY: '1:dGVzdC10b3RwLWtleS10aGF0LWlzLTMyLWJ5dGVzISE',
            ENVIRONMENT: 'test',
            BCRYPT_COST: '4',
            PWNED_PASSWORDS_URL: inject('pwnedUrl'),
            MAIL_FROM: 'no-reply@edge-auth.test',
            // The default (`optional`) mails a link after every signup, in waitUntil, which would
            // add statements to other tests' counts; the mail tests set each mode explicitly.
            EMAIL_VERIFICATION: 'off',
            ...vars,
          }),
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
      name,
      dir: fromRoot('test/app'),
      include,
      globalSetup: [
        fromRoot('test/app/global-setup.ts'),
        fromRoot('test/app/pwned-setup.ts'),
        fromRoot('test/app/outage-setup.ts'),
        fromRoot('test/app/providers-setup.ts'),
      ],
      testTimeout: 20_000,
    },
  })

export default appProject({ name: 'app', include: ['**/*.test.{ts,tsx}'] })
