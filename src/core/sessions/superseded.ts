import type { Context } from 'hono'
import type { AppEnv } from '../env'
import { defineNotice, setFlash } from '../ui/flash'
import { navigate } from '../ui/render'
import { dropSessionCookie } from './cookie'

const SUPERSEDED = defineNotice(
  'superseded',
  'Your account changed while this was being saved (a password reset, a lock, or a change from another device), so nothing was changed here and you are signed out. Sign in again.',
)

/**
 * A credential change refused because the account moved on from the generation this session was
 * made under (lifecycle.ts `fromGeneration`): what landed first stands, and this session, which
 * no longer loads, is dropped from the browser with a word why.
 */
export function supersededAnswer<E extends AppEnv>(c: Context<E>) {
  dropSessionCookie(c)
  setFlash(c, SUPERSEDED)
  return navigate(c, '/')
}
