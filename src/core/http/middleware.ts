import { bodyLimit } from 'hono/body-limit'
import { createMiddleware } from 'hono/factory'
import { HTTPException } from 'hono/http-exception'
import { secureHeaders } from 'hono/secure-headers'
import { ConfigError, getConfig } from '../config'
import { createDb } from '../db/client'
import type { AppEnv } from '../env'
import type { Feature } from '../feature'
import { isLoopback } from './request'

/** Checked config, the database handle (the driver is HTTP: nothing to pool) and the feature list. */
export function context(features: readonly Feature[]) {
  return createMiddleware<AppEnv>(async function context(c, next) {
    const config = getConfig(c.env)
    // A development stand-in secret is per isolate and unknown to anyone: fine on a developer's own
    // machine, never on a host other people reach.
    if (config.sessionSecretIsFallback && !isLoopback(new URL(c.req.url).hostname)) {
      throw new ConfigError('SESSION_SECRET is required on hosts other than localhost')
    }
    c.set('config', config)
    c.set('db', createDb(c.env.DATABASE_URL, config.databaseTimeoutMs))
    c.set('features', features)
    await next()
  })
}

/**
 * ASVS 12.2.1: plain http is only for a developer's own machine; anything else is sent to https
 * before a byte of it is read (308 keeps the method and body of a form post).
 */
export const httpsOnly = createMiddleware<AppEnv>(async (c, next) => {
  const url = new URL(c.req.url)
  if (url.protocol === 'http:' && !isLoopback(url.hostname)) {
    url.protocol = 'https:'
    return c.redirect(url.toString(), 308)
  }
  await next()
})

// ASVS 3.4.3: no inline script or eval anywhere (htmx is loaded from /js without hx-on or js:
// attributes), so the policy can stay strict; ASVS 3.4.6: frame-ancestors stops clickjacking.
export const headers = secureHeaders({
  contentSecurityPolicy: {
    defaultSrc: ["'self'"],
    scriptSrc: ["'self'"],
    styleSrc: ["'self'"],
    imgSrc: ["'self'", 'data:'],
    connectSrc: ["'self'"],
    formAction: ["'self'"],
    frameAncestors: ["'none'"],
    baseUri: ["'none'"],
    objectSrc: ["'none'"],
  },
  referrerPolicy: 'same-origin',
  // A page may tighten a header (the reset form sends Referrer-Policy: no-referrer); keep its value.
  overwrite: false,
  crossOriginEmbedderPolicy: false,
  // ASVS 3.4.1: a year, subdomains included, so no page of the site is ever fetched over http.
  strictTransportSecurity: 'max-age=31536000; includeSubDomains',
})

const FORM_TYPES = ['application/x-www-form-urlencoded', 'multipart/form-data']

/** The methods that carry a body, which the form checks (formsOnly, csrf, limitBody) guard. */
export const BODY_METHODS = ['POST', 'PUT', 'PATCH', 'DELETE']

/**
 * Hono's csrf() inspects only form-like bodies, so a JSON post would pass it: refuse every body that
 * is not a form before the origin check runs (ASVS 3.5.x). Mounted for BODY_METHODS only.
 */
export const formsOnly = createMiddleware<AppEnv>(async (c, next) => {
  const type = (c.req.header('Content-Type') ?? '').split(';')[0]!.trim().toLowerCase()
  if (!FORM_TYPES.includes(type)) {
    throw new HTTPException(415, { message: 'Send this form from the page.' })
  }
  await next()
})

/** Forms here are a few short fields; 8 KiB leaves room and keeps bcrypt and parsing cheap. */
const FORM_BODY_LIMIT = 8 * 1024

export const limitBody = bodyLimit({
  maxSize: FORM_BODY_LIMIT,
  onError: () => {
    throw new HTTPException(413, { message: 'That form was too large to accept.' })
  },
})
