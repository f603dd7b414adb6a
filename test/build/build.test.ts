import { execFile } from 'node:child_process'
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { gzipSync } from 'node:zlib'
import { describe, expect, it } from 'vitest'

const run = promisify(execFile)
const root = fileURLToPath(new URL('../..', import.meta.url))
const bin = (name: string, ...path: string[]) => join(root, 'node_modules', name, ...path)

describe('build', () => {
  it('wrangler deploy --dry-run bundles the Worker within the size limit', async () => {
    const outdir = await mkdtemp(join(tmpdir(), 'edge-auth-bundle-'))
    try {
      const { stdout } = await run(
        process.execPath,
        [bin('wrangler', 'bin', 'wrangler.js'), 'deploy', '--dry-run', '--outdir', outdir],
        { cwd: root, env: { ...process.env, WRANGLER_SEND_METRICS: 'false' } },
      )
      expect(stdout).toContain('--dry-run: exiting now.')
      const bundle = await readFile(join(outdir, 'index.js'))
      // Workers Free allows 3 MiB gzipped, Paid 10 MiB; this app should stay far below both.
      expect(gzipSync(bundle).length).toBeLessThan(256 * 1024)
      expect((await stat(join(outdir, 'index.js'))).size).toBeGreaterThan(10_000)
    } finally {
      await rm(outdir, { recursive: true, force: true })
    }
  })

  it('typechecks the Worker and the Node tooling', async () => {
    const tsc = bin('typescript', 'bin', 'tsc')
    await run(process.execPath, [tsc, '-p', 'tsconfig.json'], { cwd: root })
    await run(process.execPath, [tsc, '-p', 'tsconfig.node.json'], { cwd: root })
  })

  it('is formatted by prettier', async () => {
    const prettier = bin('prettier', 'bin', 'prettier.cjs')
    await run(process.execPath, [prettier, '--check', '.'], { cwd: root })
  })
})
