import type { Context } from 'hono'
import { Hono } from 'hono/tiny'
import type { AppEnv } from '../../core/env'
import { signedIn } from '../../core/sessions/guard'
import type { LiveSession } from '../../core/sessions/sessions'
import {
  checkAssertion,
  credentialHash,
  relyingParty,
  requestOptions,
  userHandle,
} from './assertion'
import { forgetCeremony, heldCeremony, issueCeremony } from './challenge'
import { parseAssertion } from './credential'
import { findOwnPasskey, listPasskeys, recordUse, spendCeremony } from './queries'
import { PasskeyConfirm, PasskeyUser } from './views'

// A passkey as the second factor of sudo mode (core/signin/reauth.ts): a sudo-mode form of an
// account with two-factor sign-in (password change, email change, signing out everywhere else,
// deletion, turning two-factor off, passkeys, the admin's actions) takes a passkey assertion in
// its `second_factor` field instead of a code. /js/passkeys.js fetches the offer below into the
// form's SecondFactorField (so those pages cost no statement more), and on a click puts the
// browser's answer in the field and submits the form. Without JavaScript the code path is as
// before. The challenge is the 'sudo' ceremony: bound to this browser and to the account's
// credential generation, 5 minutes, spent once (challenge.ts).

export const sudoRoutes = new Hono<AppEnv>()

const boundTo = (auth: LiveSession) => `sudo\n${auth.userId}\n${auth.generation}`

/** The offer: options with the account's passkeys; 204 when it has none (nothing is shown). */
sudoRoutes.get('/account/passkeys/confirm', signedIn, async (c) => {
  const { auth, db } = c.var
  c.header('Cache-Control', 'no-store')
  const keys = await listPasskeys(db, auth.userId)
  if (keys.length === 0) return c.body(null, 204)
  const options = requestOptions(
    await issueCeremony(c, 'sudo', boundTo(auth)),
    relyingParty(c).rpId,
    keys.map((k) => k.credentialId),
    // After the password, presence is what a second factor needs (as at the sign-in's second
    // step); user verification is asked for where the authenticator offers it.
    'preferred',
  )
  return c.html(<PasskeyConfirm options={options} />)
})

/**
 * After a username change (the account page's notice), /js/passkeys.js asks for the details the
 * browser's password manager shows for the account's passkeys (WebAuthn Signal API,
 * signalCurrentUserDetails): as registered, the email as name and the username as display name.
 */
sudoRoutes.get('/account/passkeys/details', signedIn, async (c) => {
  const { auth, db, config } = c.var
  c.header('Cache-Control', 'no-store')
  const keys = await listPasskeys(db, auth.userId)
  if (keys.length === 0) return c.body(null, 204)
  const details = {
    rpId: relyingParty(c).rpId,
    userId: await userHandle(config.sessionSecret, auth.userId),
    name: auth.email,
    displayName: auth.username,
  }
  return c.html(<PasskeyUser details={details} />)
})

/**
 * Sudo mode's check of a passkey (Feature.checkSecondFactor): true when `answer` is an assertion
 * of one of this account's passkeys over this browser's unspent 'sudo' challenge, with every
 * check of a sign-in (origin, RP ID hash, presence, signature, the counter rule). Anything not
 * shaped like an assertion is another factor's code: false without a statement.
 */
export async function checkPasskeyFactor(c: Context<AppEnv>, auth: LiveSession, answer: string) {
  if (!answer.startsWith('{')) return false
  const parsed = parseAssertion(answer)
  const held = parsed && (await heldCeremony(c, 'sudo', boundTo(auth)))
  if (!parsed || !held) return false
  const { db } = c.var
  const [spent, found] = await Promise.all([
    spendCeremony(db, held.tokenHash, held.expiresAt),
    findOwnPasskey(db, auth.userId, await credentialHash(parsed.rawId)),
  ])
  forgetCeremony(c, 'sudo')
  if (!spent || !found) return false
  const check = await checkAssertion(c, parsed.response, held.challenge, found, false)
  return !('reason' in check) && recordUse(db, found.passkeyId, check.counter, new Date())
}
