import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'

/** The example app a team would write (examples/hello-app), run beside the product. */
export const EXAMPLE_CONFIG = join('examples', 'hello-app', 'wrangler.toml')
/** What the example protects, unless `.dev.vars` says otherwise. */
export const EXAMPLE_PROTECTED_PATHS = '/app/private'

/**
 * `npm run dev -- --with-example`: one `wrangler dev` serving two Workers, as two Workers on one
 * hostname would be deployed. The product is the primary (it answers the port) with an APP service
 * binding to the example, so it runs in front mode; the example binds the product's AuthService.
 * wrangler.toml itself stays free of the APP binding (production decides that), so the runner
 * writes a copy with it under .data/dev/ and returns the config arguments for wrangler.
 */
export async function exampleConfigArgs(repoRoot: string): Promise<string[]> {
  const source = await readFile(join(repoRoot, 'wrangler.toml'), 'utf8')
  // Paths in a wrangler config are relative to the file: the copy lives elsewhere, so pin them.
  const copy = source
    .replace(/^main = "([^"]+)"/m, (_, main: string) => `main = "${join(repoRoot, main)}"`)
    .replace(/^directory = "([^"]+)"/m, (_, dir: string) => `directory = "${join(repoRoot, dir)}"`)
    // [alias] targets that are files ("./node_modules/…"), not package names.
    .replace(/^("[^"]+") = "(\.\/[^"]+)"$/gm, (_, key: string, path: string) => {
      return `${key} = "${join(repoRoot, path)}"`
    })
  const dir = join(repoRoot, '.data', 'dev')
  await mkdir(dir, { recursive: true })
  const file = join(dir, 'wrangler.with-example.toml')
  const binding = [
    '',
    '# Written by `npm run dev -- --with-example`: front mode, forwarding to the example app.',
    '[[services]]',
    'binding = "APP"',
    'service = "hello-app"',
    '',
  ].join('\n')
  await writeFile(file, `${copy}${binding}`)
  return ['-c', file, '-c', join(repoRoot, EXAMPLE_CONFIG)]
}
