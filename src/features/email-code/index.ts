import type { Context } from 'hono'
import type { AppEnv } from '../../core/env'
import type { Feature } from '../../core/feature'
import { afterResponse } from '../../core/mail/deliver'
import { bindChallenge } from '../../core/security/challenges'
import { navigate } from '../../core/ui/render'
import { signInCode } from './code'
import { ENTER_PATH, issueCode } from './issue'
import { rememberPasswordProved } from './password-proved'
import { emailCodeRoutes } from './routes'

/** "Email me a sign-in code": a mailed code, or its link in the same browser (`/signin/code`). */
export const emailCode: Feature = {
  name: 'email-code',
  routes: emailCodeRoutes,
  // The challenge rows are one_time_tokens, which account deletion and the purge already cover.
}

/** Where a browser types its code. */
export const CODE_PAGE = ENTER_PATH

/**
 * Sends a sign-in code to a known user and sends this browser to the page that takes it: for a
 * sign-in that must also prove the mailed code (NIST SP 800-63B-4 3.2.2: past 100 consecutive
 * failures). The challenge is stored now (one statement), the message leaves after the answer.
 * Mail limits are not reserved here: the caller decides (the person already proved something).
 * The caller proved the password: this browser says so with the code (password-proved.ts).
 */
export async function startCodeSignIn<E extends AppEnv>(
  c: Context<E>,
  user: { id: number; email: string },
) {
  await rememberPasswordProved(c, c.var.config.sessionSecret, user.id)
  const send = await issueCode(c, bindChallenge(c, signInCode), user)
  afterResponse(c, 'signin_code', send)
  return navigate(c, ENTER_PATH)
}
