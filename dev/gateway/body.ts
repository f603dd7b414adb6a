import type { IncomingMessage } from 'node:http'
import { HttpError } from './errors'

/**
 * Reads a request body as JSON, refusing more than `limit` bytes, and calls `done` once: with the
 * value, or with an HttpError (or the stream's error when the client went away). On an oversized
 * body the rest is drained rather than the socket destroyed, so the client still reads the 413 reply.
 * Plain stream events rather than an async iterator: this runs on every request.
 */
export function readJson(
  req: IncomingMessage,
  limit: number,
  done: (err: Error | undefined, body?: unknown) => void,
): void {
  const declared = Number(req.headers['content-length'])
  if (Number.isFinite(declared) && declared > limit) {
    req.resume()
    done(new HttpError(413, 'RESOURCE_EXHAUSTED', `request body exceeds ${limit} bytes`))
    return
  }
  // Bodies nearly always arrive in one chunk.
  let first: Buffer | undefined
  let rest: Buffer[] | undefined
  let size = 0
  let tooBig = false
  let settled = false
  req.on('data', (chunk: Buffer) => {
    size += chunk.length
    if (tooBig) return
    if (size > limit) {
      tooBig = true
      first = rest = undefined
    } else if (first === undefined) first = chunk
    else (rest ??= [first]).push(chunk)
  })
  req.once('end', () => {
    if (settled) return
    settled = true
    if (tooBig) {
      done(new HttpError(413, 'RESOURCE_EXHAUSTED', `request body exceeds ${limit} bytes`))
      return
    }
    const text = rest ? Buffer.concat(rest, size).toString('utf8') : (first?.toString('utf8') ?? '')
    if (text.trim() === '') return done(undefined, {})
    let value: unknown
    try {
      value = JSON.parse(text)
    } catch {
      return done(new HttpError(400, 'INVALID_ARGUMENT', 'request body is not valid JSON'))
    }
    done(undefined, value)
  })
  req.once('error', (err) => {
    if (settled) return
    settled = true
    done(err)
  })
}
