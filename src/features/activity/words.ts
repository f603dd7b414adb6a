import type { ActivityRow } from './queries'

// What each audited event says to its owner, in words. Only the fixed vocabulary of the audit
// calls reaches these lines: never an address, a token or an email (issue 21).
const METHODS: Record<string, string> = {
  password: 'password',
  'email-code': 'a code sent by email',
  totp: 'an authenticator-app code',
  'recovery-code': 'a recovery code',
  passkey: 'a passkey',
}

const SUCCESS: Record<string, string> = {
  signup: 'Account created',
  logout: 'Signed out',
  password_change: 'Password changed',
  password_reset: 'Password reset from an emailed link',
  email_verify: 'Email address confirmed',
  account_claimed: 'Address confirmed by a code: the ways in set up before it were removed',
  two_factor_enable: 'Authenticator app added',
  two_factor_disable: 'Authenticator app removed',
  recovery_codes: 'New recovery codes made',
  signin_code: 'Sign-in code sent by email',
  passkey_add: 'Passkey added',
  passkey_remove: 'Passkey removed',
  admin_lock: 'Locked by support',
  admin_unlock: 'Unlocked by support',
  admin_sign_out: 'Signed out everywhere by support',
  admin_resend_verification: 'Confirmation link sent again by support',
  admin_remove_factors: 'Second factors removed by support',
  role_grant: 'Made an admin (from the command line)',
  role_revoke: 'No longer an admin (from the command line)',
}

const FAILED_LOGIN: Record<string, string> = {
  unverified: 'Sign-in refused: the address is not confirmed yet',
  locked: 'Sign-in refused: the account is locked',
  code: 'Sign-in refused: wrong code',
  needs_mailed_code: 'Right password from an unknown browser: a code was asked for',
}

/** One event as its owner reads it: "Signed in with password", "Failed sign-in". */
export function describeEvent(e: ActivityRow): string {
  const how = METHODS[e.method] ?? e.method
  if (e.kind === 'login') {
    if (e.outcome === 'throttled') return 'Sign-in attempts slowed down: too many tries'
    if (e.outcome === 'failure') return FAILED_LOGIN[e.reason] ?? 'Failed sign-in: wrong password'
    if (e.reason === 'pending') return `Right ${how}: second step asked for`
    return how ? `Signed in with ${how}` : 'Signed in'
  }
  if (e.kind === 'login_second_step') {
    if (e.outcome === 'throttled') return 'Second-step attempts slowed down: too many tries'
    return `Sign-in refused: wrong ${how || 'code'} at the second step`
  }
  if (e.kind === 'session_end') {
    return e.outcome === 'success' ? 'Session ended' : 'Ending sessions refused: wrong password'
  }
  if (e.kind === 'email_change') {
    if (e.outcome !== 'success') return 'Email change refused: wrong password'
    return e.reason === 'confirmed' ? 'Email address changed' : 'Email change asked for'
  }
  if (e.kind === 'passkey_counter') {
    // WebAuthn 6.1.1: a signature counter that did not move on may mean a cloned authenticator.
    return 'A passkey signed in with an unexpected use count: check your passkeys'
  }
  // An admin's own line when the console's re-authentication failed (features/admin).
  if (e.kind.startsWith('admin_') && e.reason === 'reauth') {
    return 'Support action refused: wrong password or code'
  }
  const done = SUCCESS[e.kind] ?? e.kind.replace(/_/g, ' ')
  if (e.outcome === 'success') return done
  return `${done}: ${e.outcome === 'throttled' ? 'slowed down' : 'refused'}`
}
