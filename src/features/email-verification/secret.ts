import { LINK, type SecretKind } from '../../core/security/secrets'

/** A verification link: confirms the address it was sent to, for 24 hours. */
export const VERIFY: SecretKind = { purpose: 'verify', lifetimeSeconds: 24 * 3600, shape: LINK }
