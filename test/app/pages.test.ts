import { describe, expect, it } from 'vitest'
import { get } from './helpers'

describe('anonymous pages', () => {
  it('GET / is the login page with no cookie', async () => {
    const res = await get('/')
    expect(res.status).toBe(200)
    expect(res.headers.get('Content-Type')).toMatch(/^text\/html/)
    expect(res.headers.getSetCookie()).toEqual([])
    const html = await res.text()
    expect(html).toMatch(/^<!DOCTYPE html>/i)
    expect(html).toContain('<form method="post" action="/login"')
    expect(html).toContain('name="email"')
    expect(html).toContain('autocomplete="current-password"')
    expect(html).toContain('<script src="/js/htmx.min.js"')
  })

  it('GET /signup is the signup page with username, email and password', async () => {
    const res = await get('/signup')
    expect(res.status).toBe(200)
    expect(res.headers.getSetCookie()).toEqual([])
    const html = await res.text()
    for (const name of ['username', 'email', 'password']) expect(html).toContain(`name="${name}"`)
    expect(html).toContain('autocomplete="new-password"')
    expect(html).toContain('At least 15 characters')
  })

  it('answers partial htmx requests with the #main fragment and its title', async () => {
    const res = await get('/signup', { mode: 'htmx' })
    expect(res.status).toBe(200)
    const html = await res.text()
    expect(html).not.toContain('<html')
    expect(html).toMatch(/^<title>Create an account · edge-auth<\/title><section/)
    expect(res.headers.get('Vary')).toBe('HX-Request, HX-Request-Type, HX-History-Restore-Request')
  })

  it('answers HX-Location navigations and history restores with the whole page', async () => {
    const full = await get('/signup', { mode: 'htmx', headers: { 'HX-Request-Type': 'full' } })
    expect(await full.text()).toContain('<html lang="en">')
    const restore = await get('/', {
      headers: { 'HX-History-Restore-Request': 'true', 'HX-Request-Type': 'full' },
    })
    expect(await restore.text()).toContain('<html lang="en">')
  })

  it('sends a strict CSP and the other security headers', async () => {
    const res = await get('/')
    const csp = res.headers.get('Content-Security-Policy') ?? ''
    expect(csp).toContain("script-src 'self'")
    expect(csp).not.toContain('unsafe-inline')
    expect(csp).not.toContain('unsafe-eval')
    expect(csp).toContain("frame-ancestors 'none'")
    expect(res.headers.get('X-Content-Type-Options')).toBe('nosniff')
    expect(res.headers.get('X-Frame-Options')).toBe('SAMEORIGIN')
    expect(res.headers.get('Referrer-Policy')).toBe('same-origin')
  })

  it('has no inline script or style in its pages (the CSP would block them)', async () => {
    for (const path of ['/', '/signup', '/nope']) {
      const html = await (await get(path)).text()
      expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/)
      expect(html).not.toMatch(/\sstyle=|<style|\shx-on|js:/)
    }
  })

  it('answers an unknown path with a 404 page', async () => {
    const res = await get('/nope')
    expect(res.status).toBe(404)
    expect(await res.text()).toContain('There is no page at this address.')
  })
})
