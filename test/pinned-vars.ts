import { existsSync, readFileSync } from 'node:fs'

const LINE = /^\s*(#\s*)?([A-Z][A-Z0-9_]*)\s*=\s*(.*?)\s*$/

function parse(path: string, withComments: boolean): Record<string, string> {
  const vars: Record<string, string> = {}
  if (!existsSync(path)) return vars
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    const match = LINE.exec(line)
    if (match && (withComments || !match[1])) vars[match[2]!] = match[3]!.replace(/^"(.*)"$/, '$1')
  }
  return vars
}

/**
 * Every variable `.dev.vars.example` documents (set or commented out, with its documented value),
 * overridden by `values`. vitest-pool-workers reads the repository's `.dev.vars` (wrangler's
 * getVarsForDev, no way to turn it off) and cannot unset a binding: pinning every documented name is
 * what keeps a developer's local settings out of the tests. A name set in `.dev.vars` that the example
 * does not document would still leak, so it stops the run instead.
 */
export function pinnedVars(
  examplePath: string,
  devVarsPath: string,
  values: Record<string, string>,
): Record<string, string> {
  const pinned = { ...parse(examplePath, true), ...values }
  const leaking = Object.keys(parse(devVarsPath, false)).filter((name) => !(name in pinned))
  if (leaking.length > 0) {
    throw new Error(
      `.dev.vars sets ${leaking.join(', ')}, which .dev.vars.example does not document: ` +
        'document it there so the tests pin it',
    )
  }
  return pinned
}
