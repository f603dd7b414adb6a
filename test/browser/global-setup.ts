import { createWriteStream, mkdirSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import type { TestProject } from 'vitest/node'
import { startWorker } from '../../dev/worker'
import { startTestStack } from '../test-stack'
import { resolveChromium } from './chromium'

declare module 'vitest' {
  export interface ProvidedContext {
    baseUrl: string
    chromiumPath: string
  }
}

/** A private MySQL, the gateway and `wrangler dev` with the production defaults (bcrypt cost 10). */
export default async function setup(project: TestProject) {
  // First, so a missing browser is reported before anything is started.
  project.provide('chromiumPath', resolveChromium())
  const stack = await startTestStack('browser', 'edge_auth_browser')
  const lines: string[] = []
  // wrangler's whole output, kept for looking into a failed run (.data is git-ignored).
  const logFile = fileURLToPath(new URL('../../.data/browser-worker.log', import.meta.url))
  mkdirSync(fileURLToPath(new URL('../../.data/', import.meta.url)), { recursive: true })
  const log = createWriteStream(logFile)
  const worker = await startWorker({
    port: 0,
    // Every setting is given here; startWorker hands them to wrangler in a private env file and
    // wrangler then skips .dev.vars, so a developer's local settings cannot change what is tested.
    vars: {
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
    },
    log: (line) => {
      lines.push(line)
      log.write(`${new Date().toISOString()} ${line}\n`)
    },
  }).catch(async (err: unknown) => {
    await stack.stop()
    throw new Error(`${String(err)}\n${lines.slice(-30).join('\n')}`)
  })
  project.provide('baseUrl', worker.url)
  return async () => {
    await worker.stop()
    await stack.stop()
    log.end()
  }
}
