/** @jsxImportSource hono/jsx */
// A team's own app behind edge-auth: a greeting, a protected page, a sign-out button. Its pages live
// under /app, beside edge-auth's own routes on the same hostname.
import { Hono } from 'hono'
import type { Child } from 'hono/jsx'
import { edgeAuth, signedIn, type EdgeAuthEnv } from './edge-auth'

// AUTH_PATH: where edge-auth is mounted on this hostname ('' at the root, or its MOUNT_PATH).
type Env = EdgeAuthEnv & { Bindings: { MODE?: string; AUTH_PATH?: string } }

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

// What the app received, for the tests and for a newcomer curious about the headers.
app.get('/app/echo', (c) => {
  const headers: Record<string, string> = {}
  c.req.raw.headers.forEach((value, name) => (headers[name] = value))
  return c.json({ headers, user: c.var.user })
})

export default app
