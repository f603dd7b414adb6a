import { request } from 'node:https'

export interface Answer {
  status: number
  headers: Record<string, string | string[] | undefined>
  setCookies: string[]
  body: string
}

/**
 * One https request that trusts only `ca` (the test's throwaway certificate): node:https rather than
 * fetch, whose undici dispatcher would need a package import to take a CA.
 */
export function httpsRequest(
  url: string,
  ca: string,
  opts: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: opts.method ?? 'GET', headers: opts.headers, ca }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (chunk: Buffer) => chunks.push(chunk))
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          setCookies: res.headers['set-cookie'] ?? [],
          body: Buffer.concat(chunks).toString('utf8'),
        }),
      )
      res.on('error', reject)
    })
    req.on('error', reject)
    req.end(opts.body)
  })
}
