import type { Context } from 'hono'
import type { AppEnv } from '../../core/env'
import { audit } from '../../core/http/audit'
import { requestOrigin } from '../../core/http/request'
import { deliver, linkOrigin } from '../../core/mail/deliver'
import { codeHash, type bindChallenge } from '../../core/security/challenges'
import { makeCode, signInCode } from './code'
import { signInCodeMail } from './mail'

export const ENTER_PATH = '/signin/code/enter'

/**
 * Makes a code for `user`, stores the challenge bound to this browser (only its keyed hash, ASVS
 * 6.4.1 / NIST SP 800-63B-4 3.1.3), audits the request, and returns the sending of its message.
 */
export async function issueCode<E extends AppEnv>(
  c: Context<E>,
  store: ReturnType<typeof bindChallenge>,
  user: { id: number; email: string },
) {
  const { config, db } = c.var
  const code = makeCode()
  await store(db, user.id, await codeHash(config.sessionSecret, signInCode, code))
  await audit(c, 'signin_code', 'success', { userId: user.id })
  const link = `${linkOrigin(c)}/signin/code/link/${code}`
  const mail = signInCodeMail(config.appName, user.email, code, link, requestOrigin(c))
  return () => deliver(c, 'signin_code', mail)
}
