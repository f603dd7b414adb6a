import type { Context } from 'hono'
import { deleteCookie, getCookie, setCookie } from 'hono/cookie'
import { cookiePolicy } from './session-cookie'

/** A one-shot notice carried across a redirect, so anonymous pages need no session to show it. */
export type Flash =
  | { notice: 'created'; email: string }
  | { notice: 'signed_out' }
  | { notice: 'account_deleted' }
  | { notice: 'account_changed'; change: AccountChange }
  | { notice: 'password_reset' | 'email_verified' | 'email_changed' }

/** What an account form changed, for the notice on the page it lands on. */
export type AccountChange = 'username' | 'password' | 'session_ended' | 'others_ended'
const ACCOUNT_CHANGES: readonly string[] = ['username', 'password', 'session_ended', 'others_ended']
const PLAIN_NOTICES = [
  'signed_out',
  'account_deleted',
  'password_reset',
  'email_verified',
  'email_changed',
] as const

const FLASH_COOKIE = 'flash'
const FLASH_MAX_AGE = 120

export function setFlash(c: Context, flash: Flash) {
  const { name, options } = cookiePolicy(c, FLASH_COOKIE, FLASH_MAX_AGE)
  setCookie(c, name, JSON.stringify(flash), options)
}

/** Reads the notice, if any, and expires its cookie; anything malformed is ignored. */
export function takeFlash(c: Context): Flash | undefined {
  const { name, options } = cookiePolicy(c, FLASH_COOKIE)
  const raw = getCookie(c, name, options.prefix)
  if (raw === undefined) return undefined
  deleteCookie(c, name, options)
  try {
    const value = JSON.parse(raw) as Partial<{ notice: string; email: unknown; change: unknown }>
    const plain = PLAIN_NOTICES.find((n) => n === value.notice)
    if (plain) return { notice: plain }
    if (value.notice === 'account_changed' && ACCOUNT_CHANGES.includes(String(value.change))) {
      return { notice: 'account_changed', change: value.change as AccountChange }
    }
    if (
      value.notice === 'created' &&
      typeof value.email === 'string' &&
      value.email.length <= 254
    ) {
      return { notice: 'created', email: value.email }
    }
  } catch {}
  return undefined
}
