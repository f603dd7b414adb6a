import type { Config } from '../../core/config'
import { LINK, type SecretKind } from '../../core/security/secrets'

/** A reset link, living RESET_TOKEN_MINUTES. */
export function resetSecret(config: Config): SecretKind {
  return { purpose: 'reset', lifetimeSeconds: config.resetTokenMinutes * 60, shape: LINK }
}
