import type { IncomingMessage } from 'node:http'
import { HttpError } from './errors'

/**
 * Reads a request body as JSON, refusing more than `limit` bytes. On an oversized body the rest is
 * drained rather than the socket destroyed, so the client still reads the 413 reply.
 */
export async function readJson(req: IncomingMessage, limit: number): Promise<unknown> {
  const declared = Number(req.headers['content-length'])
  if (Number.isFinite(declared) && declared > limit) {
    req.resume()
    throw new HttpError(413, 'RESOURCE_EXHAUSTED', `request body exceeds ${limit} bytes`)
  }
  const chunks: Buffer[] = []
  let size = 0
  let tooBig = false
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length
    if (size > limit) tooBig = true
    if (!tooBig) chunks.push(chunk)
  }
  if (tooBig) throw new HttpError(413, 'RESOURCE_EXHAUSTED', `request body exceeds ${limit} bytes`)
  const text = Buffer.concat(chunks, size).toString('utf8')
  if (text.trim() === '') return {}
  try {
    return JSON.parse(text)
  } catch {
    throw new HttpError(400, 'INVALID_ARGUMENT', 'request body is not valid JSON')
  }
}
