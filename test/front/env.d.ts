import type { AuthService } from '../../src/core/service/auth-service'

declare global {
  namespace Cloudflare {
    interface Env {
      /** The example app asking the product over the AuthService binding. */
      BINDING_APP: Fetcher
      /** The product's AuthService, as a team's Worker binds it. */
      AUTH: Service<AuthService>
    }
  }
}
