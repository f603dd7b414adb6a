// The few parts of `oidc-provider` (which ships no types) that dev/oidc-provider.ts uses.
declare module 'oidc-provider' {
  import type { IncomingMessage, ServerResponse } from 'node:http'

  export interface GrantLike {
    addOIDCScope(scope: string): void
    save(): Promise<string>
  }
  export interface KoaContextWithOIDC {
    oidc: {
      session?: { accountId?: string }
      client?: { clientId: string }
      provider: { Grant: new (init: { clientId: string; accountId: string }) => GrantLike }
    }
  }
  export default class Provider {
    constructor(issuer: string, configuration: Record<string, unknown>)
    callback(): (req: IncomingMessage, res: ServerResponse) => void
    interactionDetails(req: IncomingMessage, res: ServerResponse): Promise<{ uid: string }>
    interactionFinished(
      req: IncomingMessage,
      res: ServerResponse,
      result: Record<string, unknown>,
      options?: { mergeWithLastSubmission?: boolean },
    ): Promise<void>
  }
}
