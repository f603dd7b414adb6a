import type { Bindings } from '../../src/core/env'

declare global {
  namespace Cloudflare {
    interface Env extends Bindings {}
  }
}
