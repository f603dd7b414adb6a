/** @jsxImportSource hono/jsx */
// A team's own app behind edge-auth: a greeting, a protected page, a sign-out button. Its pages live
// under /app, beside edge-auth's own routes on the same hostname.
import { Hono } from 'hono'
import type { Child } from 'hono/jsx'
import { edgeAuth, signedIn, type EdgeAuthEnv } from './edge-auth'

type Env = EdgeAuthEnv & { Bindings: { MODE?: string } }

const app = new Hono<Env>()

// MODE picks the setup: `front` when edge-auth forwards to this Worker, else the binding call.
app.use('*', async (c, next) => edgeAuth(c.env.MODE === 'front' ? 'front' : 'binding')(c, next))

function Page(props: { title: string; children: Child }) {
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>{props.title}</title>
      </head>
      <body>
        <main>
          <h1>{props.title}</h1>
          {props.children}
        </main>
      </body>
    </html>
  )
}

// Signing out is edge-auth's own POST /logout: a same-origin form, so its CSRF check passes.
const SignOut = (props: { auth: string }) => (
  <form method="post" action={`${props.auth}/logout`}>
    <button type="submit">Sign out</button>
  </form>
)

app.get('/app', (c) => {
  const user = c.var.user
  // It greets whoever is signed in: no cache (nor the browser's back button after signing out)
  // may keep it for the next person (ASVS 14.3.2). Every personalised answer needs this.
  c.header('Cache-Control', 'no-store')
  return c.html(
    <Page title="Hello app">
      {user ? (
        <>
          <p>Hello, {user.username}.</p>
          <p>
            <a href="/app/private">Your private page</a>
          </p>
          <SignOut auth={c.env.AUTH_PATH ?? ''} />
        </>
      ) : (
        <p>
          Hello, visitor. <a href={`${c.env.AUTH_PATH ?? ''}/?next=%2Fapp`}>Sign in</a>
        </p>
      )}
    </Page>,
  )
})

app.get('/app/private', signedIn, (c) => {
  const user = c.var.user!
  return c.html(
    <Page title="Private page">
      <p>
        Signed in as {user.username} ({user.email}
        {user.emailVerified ? ', confirmed' : ', not confirmed yet'}).
      </p>
      <SignOut auth={c.env.AUTH_PATH ?? ''} />
    </Page>,
  )
})

// What the app received, for the tests and for a newcomer curious about the headers. Cookies by
// name only: in binding mode they include edge-auth's HttpOnly session, which a page's script
// must never be able to read back (ASVS 3.3.4).
app.on(['GET', 'POST'], '/app/echo', (c) => {
  const headers: Record<string, string> = {}
  c.req.raw.headers.forEach((value, name) => {
    if (name !== 'cookie') headers[name] = value
  })
  const cookies = (c.req.header('Cookie') ?? '')
    .split(';')
    .map((part) => part.split('=')[0]!.trim())
    .filter(Boolean)
  c.header('Cache-Control', 'no-store')
  return c.json({ headers, cookies, user: c.var.user })
})

export default app
