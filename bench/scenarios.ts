// The scenarios of issue 11: what each request sends, the status it must get, and the statement
// budget where the issue sets one.
import type { Scenario } from './load'
import { APP_HEADERS, BENCH_PASSWORD, form, formHeaders, nextAddress } from './requests'
import type { Services } from './services'

export interface ScenarioInputs {
  /** A live session cookie (`name=value`) for the signed-in pages. */
  signedIn: string
  /** Accounts made at cost 10 on `app`, and at cost 4 on `app4`. */
  users10: string[]
  users4: string[]
  /** Live session cookies; logout uses one up per request. */
  pool: string[]
  /** Each cost-10 account's device cookie, from an earlier sign-in. */
  devices10: Map<string, string>
}

/** Valid-credential logins through `url`, rotating over `users`, each from a new address. */
export function loginScenario(name: string, url: string, users: string[]): Scenario {
  let n = 0
  return {
    name,
    url,
    method: 'POST',
    path: '/login',
    expect: 303,
    headers: formHeaders(url),
    next: () => ({
      headers: { 'CF-Connecting-IP': nextAddress() },
      body: form({ email: users[n++ % users.length]!, password: BENCH_PASSWORD }),
    }),
    // From a browser that never signed in (checked in test/app/database-calls.test.ts): the
    // pair and subscriber reservations with the user read; the account's reservation; then the
    // throttle settle and the session insert (and the session cap's trim once near 20 sessions).
    statementBudget: { max: 8 },
  }
}

/** Logins of returning people: each from the browser that signed in before (its device cookie). */
export function knownDeviceLoginScenario(
  name: string,
  url: string,
  devices: Map<string, string>,
): Scenario {
  const users = [...devices.keys()]
  let n = 0
  return {
    ...loginScenario(name, url, users),
    next: () => {
      const email = users[n++ % users.length]!
      return {
        headers: { 'CF-Connecting-IP': nextAddress(), Cookie: devices.get(email)! },
        body: form({ email, password: BENCH_PASSWORD }),
      }
    },
    // The device's reservation and the user read; then its settle and the session insert (and
    // the trim once near the cap).
    statementBudget: { max: 5 },
  }
}

/** Every scenario, the reference page first (the others' ratios are to it). */
export function buildScenarios(urls: Services, inputs: ScenarioInputs): Scenario[] {
  const { signedIn, users10, users4, pool, devices10 } = inputs
  let signups = 0
  return [
    {
      name: 'reference page',
      url: urls.reference,
      method: 'GET',
      path: '/',
      expect: 200,
      headers: {},
    },
    // Not a budget: the floor under any page that reads the database once (see the reference).
    {
      name: 'reference page + 1 query',
      url: urls.reference,
      method: 'GET',
      path: '/with-query',
      expect: 200,
      headers: {},
    },
    {
      name: 'GET / (sign-in page)',
      url: urls.app,
      method: 'GET',
      path: '/',
      expect: 200,
      headers: APP_HEADERS,
      statementBudget: { max: 0, exact: true },
    },
    {
      name: 'GET /signup',
      url: urls.app,
      method: 'GET',
      path: '/signup',
      expect: 200,
      headers: APP_HEADERS,
      statementBudget: { max: 0, exact: true },
    },
    {
      name: 'GET /welcome signed in',
      url: urls.app,
      method: 'GET',
      path: '/welcome',
      expect: 200,
      headers: { ...APP_HEADERS, Cookie: signedIn },
      statementBudget: { max: 1, exact: true },
    },
    {
      name: 'GET /account signed in',
      url: urls.app,
      method: 'GET',
      path: '/account',
      expect: 200,
      headers: { ...APP_HEADERS, Cookie: signedIn },
      statementBudget: { max: 1, exact: true },
    },
    loginScenario('POST /login cost 4', urls.app4, users4),
    loginScenario('POST /login cost 10', urls.app, users10),
    knownDeviceLoginScenario('POST /login cost 10, known device', urls.app, devices10),
    {
      name: 'POST /signup cost 10',
      url: urls.app,
      method: 'POST',
      path: '/signup',
      expect: 303,
      headers: formHeaders(urls.app),
      next: () => {
        signups += 1
        return {
          headers: { 'CF-Connecting-IP': nextAddress() },
          body: form({
            username: `Load ${signups}`,
            email: `bench-load-${signups}@example.com`,
            password: BENCH_PASSWORD,
          }),
        }
      },
      // The insert, the throttle's reservation, and the email lookup that spares bcrypt for a
      // taken address (issue 7).
      statementBudget: { max: 3, exact: true },
    },
    // Front mode's cost is the difference between these two: the same page of the example app,
    // asked directly and through the product's forwarding (both Workers run in the same workerd).
    {
      name: 'GET /app example direct',
      url: urls.hello,
      method: 'GET',
      path: '/app',
      expect: 200,
      headers: APP_HEADERS,
    },
    {
      name: 'GET /app via front mode',
      url: urls.front,
      method: 'GET',
      path: '/app',
      expect: 200,
      headers: APP_HEADERS,
      statementBudget: { max: 0, exact: true },
    },
    {
      name: 'GET /app via front, signed in',
      url: urls.front,
      method: 'GET',
      path: '/app',
      expect: 200,
      headers: { ...APP_HEADERS, Cookie: signedIn },
      statementBudget: { max: 1, exact: true },
    },
    {
      name: 'POST /logout',
      url: urls.app,
      method: 'POST',
      path: '/logout',
      expect: 303,
      headers: formHeaders(urls.app),
      next: () => {
        const cookie = pool.pop()
        return cookie === undefined ? undefined : { headers: { Cookie: cookie }, body: '' }
      },
      statementBudget: { max: 1, exact: true },
    },
  ]
}
