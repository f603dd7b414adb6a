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

/** Every scenario, the reference page first (the others' ratios are to it). */
export function buildScenarios(urls: Services, inputs: ScenarioInputs): Scenario[] {
  const { signedIn, users10, users4, pool } = inputs
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
