import { readFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { gzipSync } from 'node:zlib'
import { build } from 'esbuild'
import { describe, expect, it } from 'vitest'
import { buildPasswordListModule, PASSWORD_LIST_PATH } from '../../dev/build-password-list'

const blocklistModule = fileURLToPath(
  new URL('../../src/core/passwords/common.ts', import.meta.url),
)

describe('generated common-password list', () => {
  it('is what `npm run passwords:build` generates today', async () => {
    expect(await readFile(PASSWORD_LIST_PATH, 'utf8')).toBe(await buildPasswordListModule())
  })

  it('costs the Worker bundle under 9 KiB gzipped, lookup code included', async () => {
    const result = await build({
      entryPoints: [blocklistModule],
      bundle: true,
      minify: true,
      format: 'esm',
      write: false,
    })
    const gzipped = gzipSync(result.outputFiles[0]!.contents, { level: 9 }).length
    expect(gzipped).toBeLessThan(9 * 1024)
  })
})
