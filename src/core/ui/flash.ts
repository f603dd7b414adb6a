import type { Context } from 'hono'
import { deleteCookie, getCookie, setCookie } from 'hono/cookie'
import { EMAIL_MAX } from '../forms/limits'
import { cookiePolicy } from '../http/cookies'

/**
 * A one-shot notice carried across a redirect, so anonymous pages need no session to show it. The
 * cookie holds only the notice's id (and an address to prefill): the words come from the feature
 * that declared it, so a forged cookie can show nothing but a notice the site already has.
 */
export interface Notice {
  id: string
  text: string
}

export interface Flash {
  notice: Notice
  /** The address to prefill (the sign-in form after signup). */
  email?: string
}

const notices = new Map<string, Notice>()

/** Declares a notice once, at module scope of the feature that shows it after its redirect. */
export function defineNotice(id: string, text: string): Notice {
  if (notices.has(id)) throw new Error(`notice ${id} is declared twice`)
  const notice = { id, text }
  notices.set(id, notice)
  return notice
}

const FLASH_COOKIE = 'flash'
const FLASH_MAX_AGE = 120

export function setFlash(c: Context, notice: Notice, email?: string) {
  const { name, options } = cookiePolicy(c, FLASH_COOKIE, FLASH_MAX_AGE)
  setCookie(c, name, JSON.stringify({ notice: notice.id, email }), options)
}

/** Reads the notice, if any, and expires its cookie; anything unknown or malformed is ignored. */
export function takeFlash(c: Context): Flash | undefined {
  const { name, options } = cookiePolicy(c, FLASH_COOKIE)
  const raw = getCookie(c, name, options.prefix)
  if (raw === undefined) return undefined
  deleteCookie(c, name, options)
  try {
    const value = JSON.parse(raw) as Partial<{ notice: unknown; email: unknown }>
    const notice = notices.get(String(value.notice))
    if (!notice) return undefined
    const email = value.email
    if (typeof email === 'string' && email.length <= EMAIL_MAX) return { notice, email }
    return { notice }
  } catch {}
  return undefined
}
