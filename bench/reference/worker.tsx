// A bare Hono app rendering a page of the sign-in page's shape and size (doctype, head with the css
// and js links, a form card), with no middleware, session or database: the floor the app's pages
// are compared with.
//
// GET /with-query renders the same page after one point SELECT through @planetscale/database and the
// gateway (a Client kept per isolate, as the app keeps its own): the floor of any page that reads
// the database once, which is what a signed-in page must do to check its session.
import { Client } from '@planetscale/database'
import { Hono } from 'hono'
import { raw } from 'hono/html'

function Page() {
  return (
    <>
      {raw('<!DOCTYPE html>')}
      <html lang="en">
        <head>
          <meta charset="utf-8" />
          <meta name="viewport" content="width=device-width, initial-scale=1" />
          <title>Sign in</title>
          <link rel="icon" href="/favicon.svg" type="image/svg+xml" />
          <link rel="stylesheet" href="/css/app.css" />
          <script src="/js/htmx.min.js" defer></script>
        </head>
        <body>
          <header class="brand">
            <a href="/">reference</a>
          </header>
          <main id="main">
            <section class="card" aria-labelledby="title">
              <h1 id="title">Sign in</h1>
              <form method="post" action="/login" hx-post="/login" hx-swap="outerHTML">
                <div class="field">
                  <label for="email">Email</label>
                  <input id="email" name="email" type="email" autocomplete="username" required />
                </div>
                <div class="field">
                  <label for="password">Password</label>
                  <input
                    id="password"
                    name="password"
                    type="password"
                    autocomplete="current-password"
                    required
                  />
                </div>
                <button type="submit">Sign in</button>
              </form>
              <p class="switch">
                New here? <a href="/signup">Create an account</a>
              </p>
            </section>
          </main>
        </body>
      </html>
    </>
  )
}

const app = new Hono<{ Bindings: { DATABASE_URL: string } }>()
app.get('/', (c) => c.html(<Page />))

let client: Client | undefined
let nextId = 0
app.get('/with-query', async (c) => {
  client ??= new Client({ url: c.env.DATABASE_URL })
  nextId = (nextId % 1000) + 1
  const { rows } = await client.execute('SELECT id, name, created_at FROM bench WHERE id = ?', [
    nextId,
  ])
  if (rows.length !== 1) return c.text('row missing', 500)
  return c.html(<Page />)
})

export default app
