import type { Context } from 'hono'
import { Hono } from 'hono/tiny'
import type { AppEnv } from '../../core/env'
import { audit } from '../../core/http/audit'
import { signOut } from '../../core/sessions/cookie'
import { signedIn } from '../../core/sessions/guard'
import { defineNotice, setFlash, takeFlash } from '../../core/ui/flash'
import { navigate } from '../../core/ui/render'
import { VerifyReminder } from '../email-verification'
import { LogoutConfirmCard, WelcomeCard } from './views'

export const welcomeRoutes = new Hono<AppEnv>()

/** Shown on the sign-in page after any sign-out. */
export const SIGNED_OUT = defineNotice('signed_out', 'You are signed out.')

welcomeRoutes.get('/welcome', signedIn, (c) => {
  const auth = c.var.auth
  const remind = c.var.config.emailVerification !== 'off' && !auth.emailVerified
  const notice = remind ? <VerifyReminder /> : undefined
  const card = <WelcomeCard username={auth.username} notice={notice} flash={takeFlash(c)} />
  return c.render(card, { title: 'Welcome' })
})

async function logout(c: Context<AppEnv>) {
  c.header('Cache-Control', 'no-store')
  const userId = await signOut(c)
  setFlash(c, SIGNED_OUT)
  await audit(c, 'logout', 'success', { userId })
  return navigate(c, '/')
}

welcomeRoutes.post('/logout', logout)

welcomeRoutes.get('/logout', async (c) => {
  // GET is kept for the legacy app's links, but only this site's own pages (or a typed address)
  // may sign people out with it; any other origin, a sibling subdomain, or a HEAD gets a button to
  // press on this site, behind the CSRF check (ASVS 3.5.1, 3.5.3).
  const site = c.req.header('Sec-Fetch-Site')
  if (c.req.method === 'GET' && (site === 'same-origin' || site === 'none')) return logout(c)
  c.header('Cache-Control', 'no-store')
  return c.render(<LogoutConfirmCard />, { title: 'Sign out' })
})
