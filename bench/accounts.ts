// Real accounts and sessions for the scenarios, made through the app's own forms.
import { BENCH_PASSWORD, form, formHeaders, nextAddress, send, sessionCookie } from './requests'

let userCounter = 0
/** Signs up `count` accounts through `url`'s form; returns their emails. */
export async function createUsers(url: string, count: number, tag: string): Promise<string[]> {
  const emails: string[] = []
  // Eight at a time: a larger burst queues behind one isolate's bcrypt past the database timeout.
  for (let start = 0; start < count; start += 8) await createBatch(Math.min(8, count - start))
  return emails

  async function createBatch(size: number) {
    await Promise.all(
      Array.from({ length: size }, async () => {
        userCounter += 1
        const email = `bench-${tag}-${userCounter}@example.com`
        const res = await send(url, 'POST', '/signup', {
          headers: { ...formHeaders(url), 'CF-Connecting-IP': nextAddress() },
          body: form({ username: `Bencher ${userCounter}`, email, password: BENCH_PASSWORD }),
        })
        if (res.status !== 303) throw new Error(`setup signup answered ${res.status}`)
        emails.push(email)
      }),
    )
  }
}

/** Logs `email` in through `url`'s form; returns the session cookie as `name=value`. */
export async function login(url: string, email: string): Promise<string> {
  const res = await send(url, 'POST', '/login', {
    headers: { ...formHeaders(url), 'CF-Connecting-IP': nextAddress() },
    body: form({ email, password: BENCH_PASSWORD }),
  })
  const cookie = sessionCookie(res.setCookies)
  if (res.status !== 303 || !cookie) throw new Error(`setup login answered ${res.status}`)
  return cookie
}

/**
 * Signs each account in once through `url` and returns, per email, the device cookie that makes
 * that browser known to the account (`name=value`), for logins of returning people.
 */
export async function deviceCookies(url: string, emails: string[]): Promise<Map<string, string>> {
  const devices = new Map<string, string>()
  for (const email of emails) {
    const res = await send(url, 'POST', '/login', {
      headers: { ...formHeaders(url), 'CF-Connecting-IP': nextAddress() },
      body: form({ email, password: BENCH_PASSWORD }),
    })
    const device = res.setCookies.map((h) => h.split(';')[0]!).find((p) => /device=/.test(p))
    if (res.status !== 303 || !device) throw new Error(`setup login answered ${res.status}`)
    devices.set(email, device)
  }
  return devices
}
