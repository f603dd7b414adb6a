import { mkdirSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { cloudflareTest } from '@cloudflare/vitest-pool-workers'
import { buildSync } from 'esbuild'
import { defineConfig } from 'vitest/config'
import { pinnedVars } from '../pinned-vars'
// Brings the names it provides (outageDatabaseUrl, outageControlUrl) into the config's types.
import type {} from '../app/outage-setup'

const fromRoot = (path: string) => fileURLToPath(new URL(`../../${path}`, import.meta.url))

// The example app (examples/hello-app) is a Worker of its own: bundled here as wrangler would, and
// run beside the product in the same workerd, twice: once behind the product (front mode) and once
// asking it over the AuthService binding.
const out = fromRoot('.data/test-front')
mkdirSync(out, { recursive: true })
const exampleScript = `${out}/hello-app.mjs`
buildSync({
  entryPoints: [fromRoot('examples/hello-app/src/index.tsx')],
  bundle: true,
  format: 'esm',
  platform: 'neutral',
  mainFields: ['module', 'main'],
  conditions: ['workerd', 'worker', 'browser'],
  outfile: exampleScript,
  logLevel: 'error',
})

// The outage test makes getSession throw on purpose; workerd reports an error thrown across RPC as
// an "uncaught exception" line on the callee's side. Only that expected line is dropped.
const EXPECTED_NOISE =
  /^uncaught exception; source = Uncaught \(in promise\); stack = AuthUnavailableError: /
for (const stream of [process.stdout, process.stderr]) {
  const write = stream.write.bind(stream)
  stream.write = ((chunk: string | Uint8Array, ...rest: never[]) => {
    const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8')
    if (!text.includes('AuthUnavailableError: ')) return write(chunk, ...rest)
    const kept = text
      .split('\n')
      .filter((line) => !EXPECTED_NOISE.test(line))
      .join('\n')
    return kept.trim() === '' ? true : write(kept, ...rest)
  }) as typeof stream.write
}

// The product's worker in this project (the pool names it after the project).
const PRODUCT = 'vitest-pool-workers-runner-front'
const COMPATIBILITY_DATE = '2026-04-01'
const example = (name: string, mode: string) => ({
  name,
  modules: true,
  scriptPath: exampleScript,
  compatibilityDate: COMPATIBILITY_DATE,
  bindings: { MODE: mode },
  serviceBindings: { AUTH: { name: PRODUCT, entrypoint: 'AuthService' } },
})

export default defineConfig({
  plugins: [
    cloudflareTest(({ inject }) => ({
      main: fromRoot('src/index.tsx'),
      wrangler: { configPath: fromRoot('wrangler.toml') },
      miniflare: {
        bindings: pinnedVars(fromRoot('.dev.vars.example'), fromRoot('.dev.vars'), {
          // The outage stack: the last tests take its gateway away and back.
          DATABASE_URL: inject('outageDatabaseUrl'),
          SESSION_SECRET: 'test-secret-that-is-at-least-32-characters-long',
          ENVIRONMENT: 'test',
          BCRYPT_COST: '4',
          PWNED_PASSWORDS_URL: 'off',
          MAIL_FROM: 'no-reply@edge-auth.test',
          EMAIL_VERIFICATION: 'off',
          PROTECTED_PATHS: '/app/private, /admin/',
        }),
        serviceBindings: {
          // Front mode: what is not the product's goes to the example app.
          APP: 'hello-front',
          // For the tests: the same app asking over the binding, and the service itself.
          BINDING_APP: 'hello-binding',
          AUTH: { name: PRODUCT, entrypoint: 'AuthService' },
        },
        workers: [example('hello-front', 'front'), example('hello-binding', 'binding')],
      },
    })),
  ],
  test: {
    name: 'front',
    dir: fromRoot('test/front'),
    include: ['**/*.test.{ts,tsx}'],
    globalSetup: [fromRoot('test/app/outage-setup.ts')],
    testTimeout: 20_000,
  },
})
