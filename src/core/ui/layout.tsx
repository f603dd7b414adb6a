import { raw } from 'hono/html'
import type { Child } from 'hono/jsx'

// No settle delay and no injected indicator <style>: htmx then never writes inline styles, which the
// CSP (style-src 'self') would block.
const HTMX_CONFIG = '{"includeIndicatorCSS":false,"defaultSettleDelay":0}'

/** The document around every page; `appName` is APP_NAME, the product's name in its header. */
export function Layout(props: { title: string; appName: string; children: Child }) {
  return (
    <>
      {raw('<!DOCTYPE html>')}
      <html lang="en">
        <head>
          <meta charset="utf-8" />
          <meta name="viewport" content="width=device-width, initial-scale=1" />
          <meta name="color-scheme" content="light dark" />
          <meta name="htmx-config" content={HTMX_CONFIG} />
          <title>{props.title}</title>
          <link rel="icon" href="/favicon.svg" type="image/svg+xml" />
          <link rel="stylesheet" href="/css/app.css" />
          <script src="/js/htmx.min.js" defer></script>
          <script src="/js/app.js" defer></script>
          <script src="/js/passkeys.js" defer></script>
        </head>
        <body>
          <header class="brand">
            <a href="/">
              <img src="/favicon.svg" alt="" width="24" height="24" />
              {props.appName}
            </a>
          </header>
          <main id="main">{props.children}</main>
        </body>
      </html>
    </>
  )
}
