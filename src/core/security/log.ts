import { errorChain } from './error-chain'

type Fields = Record<string, string | number | boolean | undefined>

/**
 * One JSON line per event, which Workers Logs indexes by field. Callers pass ids and outcomes, never
 * passwords, session ids, emails or query text (ASVS 16.3.1).
 */
export function logEvent(level: 'info' | 'warn' | 'error', event: string, fields: Fields = {}) {
  const line = JSON.stringify({ level, event, ...fields })
  if (level === 'error') console.error(line)
  else if (level === 'warn') console.warn(line)
  else console.log(line)
}

/** What may be logged of an error: its class, a database error code and errno, not its message. */
export function describeError(err: unknown): Fields {
  const names: string[] = []
  const fields: Fields = {}
  for (const e of errorChain(err, 5)) {
    names.push(e instanceof Error ? e.name : typeof e)
    const body = (e as { body?: { code?: string; message?: string } }).body
    if (body?.code) fields.code = body.code
    const errno = /\(errno (\d+)\)/.exec(body?.message ?? '')?.[1]
    if (errno) fields.errno = Number(errno)
  }
  return { error: names.join(' < '), ...fields }
}
