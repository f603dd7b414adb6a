import { createWriteStream, mkdirSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import type { TestProject } from 'vitest/node'
import { EXAMPLE_PROTECTED_PATHS, exampleConfigArgs } from '../../dev/example'
import { startGitHubStandIn } from '../../dev/github-standin'
import { DEV_OIDC_NAME, startDevOidc } from '../../dev/oidc-provider'
import { startWorker } from '../../dev/worker'
import { startTestStack } from '../test-stack'
import { resolveChromium } from './chromium'

declare module 'vitest' {
  export interface ProvidedContext {
    baseUrl: string
    /** The product in front mode before the example app (`npm run dev -- --with-example`). */
    frontUrl: string
    chromiumPath: string
    /** The gateway the worker uses, for what a test does from the command line (`npm run admin`). */
    databaseUrl: string
  }
}

/** A private MySQL, the gateway and `wrangler dev` with the production defaults (bcrypt cost 10). */
export default async function setup(project: TestProject) {
  // First, so a missing browser is reported before anything is started.
  project.provide('chromiumPath', resolveChromium())
  const stack = await startTestStack('browser', 'edge_auth_browser')
  // The local OpenID provider, as `npm run dev` runs it; its client learns the Worker's callback
  // URL once the Worker's port is known (before its first request).
  const oidc = await startDevOidc({})
  // And the GitHub stand-in (no consent page: straight back with the default person).
  const github = await startGitHubStandIn()
  const lines: string[] = []
  // wrangler's whole output, kept for looking into a failed run (.data is git-ignored).
  const logFile = fileURLToPath(new URL('../../.data/browser-worker.log', import.meta.url))
  mkdirSync(fileURLToPath(new URL('../../.data/', import.meta.url)), { recursive: true })
  const log = createWriteStream(logFile)
  // Every setting is given here; startWorker hands them to wrangler in a private env file and
  // wrangler then skips .dev.vars, so a developer's local settings cannot change what is tested.
  const vars = {
    DATABASE_URL: stack.databaseUrl,
    PWNED_PASSWORDS_URL: stack.pwnedPasswordsUrl,
    SESSION_SECRET: 'browser-test-secret-at-least-32-characters',
    TOTP_ENCRYPTION_KEY: '1:YnJvd3Nlci10ZXN0LXRvdHAta2V5LTMyLWJ5dGVzISE',
    ENVIRONMENT: 'development',
    BCRYPT_COST: '10',
    PASSWORD_MIN_LENGTH: '15',
    EMAIL_VERIFICATION: 'optional',
    APP_NAME: 'edge-auth',
    MAIL_FROM: 'no-reply@edge-auth.localhost',
    RESET_TOKEN_MINUTES: '30',
    SESSION_IDLE_SECONDS: '86400',
    SESSION_ABSOLUTE_SECONDS: '2592000',
    OIDC_ISSUER: oidc.issuer,
    OIDC_CLIENT_ID: oidc.clientId,
    OIDC_CLIENT_SECRET: oidc.clientSecret,
    OIDC_NAME: DEV_OIDC_NAME,
    GITHUB_URL: github.url,
    GITHUB_CLIENT_ID: github.clientId,
    GITHUB_CLIENT_SECRET: github.clientSecret,
  }
  const worker = await startWorker({
    port: 0,
    vars,
    log: (line) => {
      lines.push(line)
      log.write(`${new Date().toISOString()} ${line}\n`)
    },
  }).catch(async (err: unknown) => {
    await stack.stop()
    throw new Error(`${String(err)}\n${lines.slice(-30).join('\n')}`)
  })
  project.provide('baseUrl', worker.url)
  const port = new URL(worker.url).port
  oidc.setRedirectUris(
    ['127.0.0.1', 'localhost'].map((h) => `http://${h}:${port}/login/provider/oidc/callback`),
  )
  project.provide('databaseUrl', stack.databaseUrl)
  // The same product in front of the example app, as `npm run dev -- --with-example` runs them.
  const front = await startWorker({
    port: 0,
    vars: { ...vars, PROTECTED_PATHS: EXAMPLE_PROTECTED_PATHS },
    configArgs: await exampleConfigArgs(fileURLToPath(new URL('../../', import.meta.url))),
    log: (line) => log.write(`${new Date().toISOString()} front: ${line}\n`),
  }).catch(async (err: unknown) => {
    await worker.stop()
    await stack.stop()
    throw err
  })
  project.provide('frontUrl', front.url)
  return async () => {
    await front.stop()
    await worker.stop()
    await oidc.stop()
    await github.stop()
    await stack.stop()
    log.end()
  }
}
