import { randomBytes } from 'node:crypto'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'

/** The KEY=VALUE pairs of a .dev.vars file (comments and blank lines skipped). */
export function readDevVars(path: string): Record<string, string> {
  if (!existsSync(path)) return {}
  const vars: Record<string, string> = {}
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    const match = /^\s*([A-Z0-9_]+)\s*=\s*(.*?)\s*$/.exec(line)
    if (match) vars[match[1]!] = match[2]!.replace(/^"(.*)"$/, '$1')
  }
  return vars
}

/**
 * Makes sure `.dev.vars` holds a SESSION_SECRET, a TOTP_ENCRYPTION_KEY and ENVIRONMENT, generating the
 * secrets the first time,
 * so local sessions survive restarts. Never overwrites what the developer wrote.
 */
export function ensureDevVars(path: string): { created: boolean } {
  const vars = readDevVars(path)
  const additions: string[] = []
  if (!vars.SESSION_SECRET)
    additions.push(`SESSION_SECRET=${randomBytes(32).toString('base64url')}`)
  if (!vars.TOTP_ENCRYPTION_KEY)
    additions.push(`TOTP_ENCRYPTION_KEY=1:${randomBytes(32).toString('base64url')}`)
  if (!vars.ENVIRONMENT) additions.push('ENVIRONMENT=development')
  if (additions.length === 0) return { created: false }
  const before = existsSync(path) ? readFileSync(path, 'utf8') : ''
  const header = before
    ? ''
    : '# Local secrets for wrangler dev; never committed. See .dev.vars.example.\n'
  const separator = before && !before.endsWith('\n') ? '\n' : ''
  writeFileSync(path, `${before}${separator}${header}${additions.join('\n')}\n`, { mode: 0o600 })
  return { created: true }
}
