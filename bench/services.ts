// The Workers under test, all in one workerd process: the app as deployed (cost 10), the app at
// cost 4, the reference Worker and the point-SELECT Worker.
import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import { bundleWorker, REPO_ROOT } from './bundle'
import type { BenchStack } from './stack'
import { startWorkerd } from './workerd'
import { readWranglerSettings } from './wrangler-config'

export interface Services {
  app: string
  app4: string
  reference: string
  pointSelect: string
  /** The app in front mode (an APP binding to `hello`), and the example app it forwards to. */
  front: string
  hello: string
}

/** Bundles the three Workers and serves them (and the app twice) from one workerd. */
export async function startServices(
  stack: BenchStack,
  tmp: string,
  opts: { inspectorPort?: number; unminified?: boolean } = {},
) {
  const settings = await readWranglerSettings(join(REPO_ROOT, 'wrangler.toml'))
  const [app, reference, pointSelect, hello] = await Promise.all([
    // Unminified for a profile, so its functions keep their names.
    bundleWorker(join(tmp, 'app'), undefined, opts.unminified ? ['--no-minify'] : []),
    bundleWorker(join(tmp, 'reference'), join(REPO_ROOT, 'bench/reference/wrangler.toml')),
    bundleWorker(join(tmp, 'point-select'), join(REPO_ROOT, 'bench/point-select/wrangler.toml')),
    bundleWorker(join(tmp, 'hello'), join(REPO_ROOT, 'examples/hello-app/wrangler.toml')),
  ])
  const secrets = {
    DATABASE_URL: stack.databaseUrl,
    SESSION_SECRET: randomBytes(32).toString('base64url'),
    // What a deployment sets beside wrangler.toml's vars: the sender, and (here) the local
    // stand-in of the breached-password API, so no request leaves the machine.
    MAIL_FROM: 'no-reply@edge-auth.test',
    PWNED_PASSWORDS_URL: stack.pwnedPasswordsUrl,
    // The verification mail a signup sends runs after its answer (waitUntil), so its statements
    // would land in whichever scenario runs next; the mail routes are counted in test/app.
    EMAIL_VERIFICATION: 'off',
  }
  const common = {
    bundle: app,
    compatibilityDate: settings.compatibilityDate,
    compatibilityFlags: settings.compatibilityFlags,
    sendEmail: settings.sendEmail,
    forwardedProto: true,
  }
  const workerd = await startWorkerd(
    [
      {
        name: 'app',
        ...common,
        vars: { ...settings.vars, ...secrets, ENVIRONMENT: 'production', BCRYPT_COST: '10' },
      },
      // Production refuses a cost below 10, so the cost-4 login runs as `development`; both share the
      // database and the secret, so a session from one is a session of the other.
      {
        name: 'app4',
        ...common,
        vars: { ...settings.vars, ...secrets, ENVIRONMENT: 'development', BCRYPT_COST: '4' },
      },
      // Front mode: the deployed app with an APP binding to the example app, which binds back to
      // its AuthService, as two Workers on one hostname would be set up.
      {
        name: 'front',
        ...common,
        vars: {
          ...settings.vars,
          ...secrets,
          ENVIRONMENT: 'production',
          BCRYPT_COST: '10',
          PROTECTED_PATHS: '/app/private',
        },
        services: [{ binding: 'APP', service: 'hello' }],
      },
      {
        name: 'hello',
        bundle: hello,
        compatibilityDate: settings.compatibilityDate,
        vars: { MODE: 'front' },
        services: [{ binding: 'AUTH', service: 'front', entrypoint: 'AuthService' }],
      },
      {
        name: 'reference',
        bundle: reference,
        compatibilityDate: settings.compatibilityDate,
        vars: { DATABASE_URL: stack.databaseUrl },
      },
      {
        name: 'point-select',
        bundle: pointSelect,
        compatibilityDate: settings.compatibilityDate,
        vars: { DATABASE_URL: stack.databaseUrl },
      },
    ],
    opts,
  )
  const urls: Services = {
    app: workerd.urls.app!,
    app4: workerd.urls.app4!,
    reference: workerd.urls.reference!,
    pointSelect: workerd.urls['point-select']!,
    front: workerd.urls.front!,
    hello: workerd.urls.hello!,
  }
  return { workerd, urls, bundles: { app, reference } }
}
