import type { Context } from 'hono'
import type { AppEnv } from '../env'
import type { SignInLink } from '../feature'
import { withNext } from '../http/next'

/** Every feature's other ways to sign in, in the order of the feature list (no statement). */
export function signInLinks(c: Context<AppEnv>): readonly SignInLink[] {
  return c.var.features.flatMap((feature) => feature.signInLinks?.(c) ?? [])
}

/** What the links depend on, for pages rendered once per isolate (`sameForEveryone`). */
export function signInLinksKey(links: readonly SignInLink[]): string {
  return links.map((l) => `${l.href}=${l.label}`).join(',')
}

/**
 * "Continue with …" on the sign-in and signup pages: plain links, a full navigation (an htmx
 * request cannot follow a cross-origin redirect, and CSP form-action would block a form whose
 * answer redirects there). Nothing at all when no feature offers one.
 */
export function SignInLinks(props: { links?: readonly SignInLink[]; next?: string }) {
  if (!props.links?.length) return null
  return (
    <ul class="providers" role="list" aria-label="Other ways to sign in">
      {props.links.map((l) => (
        <li>
          <a class="provider-button" href={withNext(l.href, props.next)}>
            {l.label}
          </a>
        </li>
      ))}
    </ul>
  )
}
