import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { TestProject } from 'vitest/node'
import { startGitHubStandIn } from '../../dev/github-standin'
import { DEV_OIDC_NAME, startDevOidc } from '../../dev/oidc-provider'

declare module 'vitest' {
  export interface ProvidedContext {
    oidcIssuer: string
    oidcClientId: string
    oidcClientSecret: string
    oidcName: string
    githubUrl: string
    githubClientId: string
    githubClientSecret: string
    brokenIssuer: string
  }
}

/** The ORIGIN of test/app/helpers.ts: the Worker's callback URLs the providers accept. */
const ORIGIN = 'https://edge-auth.test'

/**
 * An issuer whose discovery answers 200 with metadata that names no authorization endpoint: a
 * provider misconfigured or broken, which a sign-in must meet with the clear page.
 */
async function startBrokenIssuer() {
  const server = createServer((req, res) => {
    const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    if (req.url !== '/.well-known/openid-configuration') return res.writeHead(404).end()
    res.writeHead(200, { 'Content-Type': 'application/json' })
    res.end(
      JSON.stringify({ issuer, token_endpoint: `${issuer}/token`, jwks_uri: `${issuer}/jwks` }),
    )
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    issuer: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}

/** The local OpenID provider and the GitHub stand-in, for the workerd tests. */
export default async function setup(project: TestProject) {
  const [oidc, github, broken] = await Promise.all([
    startDevOidc({
      redirectUris: [`${ORIGIN}/login/provider/oidc/callback`],
      dynamicPeople: true,
    }),
    startGitHubStandIn({ slowMs: 4000 }),
    startBrokenIssuer(),
  ])
  project.provide('oidcIssuer', oidc.issuer)
  project.provide('oidcClientId', oidc.clientId)
  project.provide('oidcClientSecret', oidc.clientSecret)
  project.provide('oidcName', DEV_OIDC_NAME)
  project.provide('githubUrl', github.url)
  project.provide('githubClientId', github.clientId)
  project.provide('githubClientSecret', github.clientSecret)
  project.provide('brokenIssuer', broken.issuer)
  return async () => {
    await Promise.all([oidc.stop(), github.stop(), broken.stop()])
  }
}
