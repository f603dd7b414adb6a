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
  }
}

/** The ORIGIN of test/app/helpers.ts: the Worker's callback URLs the providers accept. */
const ORIGIN = 'https://edge-auth.test'

/** The local OpenID provider and the GitHub stand-in, for the workerd tests. */
export default async function setup(project: TestProject) {
  const [oidc, github] = await Promise.all([
    startDevOidc({
      redirectUris: [`${ORIGIN}/login/provider/oidc/callback`],
      dynamicPeople: true,
    }),
    startGitHubStandIn({ slowMs: 4000 }),
  ])
  project.provide('oidcIssuer', oidc.issuer)
  project.provide('oidcClientId', oidc.clientId)
  project.provide('oidcClientSecret', oidc.clientSecret)
  project.provide('oidcName', DEV_OIDC_NAME)
  project.provide('githubUrl', github.url)
  project.provide('githubClientId', github.clientId)
  project.provide('githubClientSecret', github.clientSecret)
  return async () => {
    await Promise.all([oidc.stop(), github.stop()])
  }
}
