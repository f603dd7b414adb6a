import { LINK, type SecretKind } from '../../core/security/secrets'

/** The link mailed to a new address: confirms the change, for 60 minutes. */
export const EMAIL_CHANGE: SecretKind = {
  purpose: 'email_change',
  lifetimeSeconds: 3600,
  shape: LINK,
}
