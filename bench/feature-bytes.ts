// What each capability adds to the deployed bundle: the Worker built as `wrangler deploy` builds it,
// against the same Worker built without that capability's line in `src/features.ts` (and its
// import). No other file changes: a feature that another one imports directly cannot be taken out
// this way, and the build then fails, which is the point (one list of features, DESIGN.md).
import { cp, mkdir, readFile, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { bundleWorker, REPO_ROOT } from './bundle'

export interface FeatureBytes {
  /** The name its `index.ts` exports, as listed in `src/features.ts`. */
  name: string
  /** Gzipped bytes (zlib's default level, as the bundle's total) the full build has over the one without it. */
  addedGzip: number
}

const BUILD_DIR = join(REPO_ROOT, '.data', 'feature-bytes')

/** The feature list's entries: `name` as imported and listed, in the order of the list. */
function listedFeatures(list: string): string[] {
  const body = /export const features[^=]*=\s*\[([\s\S]*?)\]/.exec(list)?.[1] ?? ''
  return body
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean)
}

/** `src/features.ts` without one entry and its import line. */
function without(list: string, name: string): string {
  const importLine = new RegExp(`^import \\{ ${name} \\} from .*\\n`, 'm')
  const entry = new RegExp(`^\\s+${name},\\n`, 'm')
  if (!importLine.test(list) || !entry.test(list)) throw new Error(`${name} is not in the list`)
  return list.replace(importLine, '').replace(entry, '')
}

// A copy of the app beside the repository's own node_modules (two levels down, so the config's
// relative paths are rewritten to match).
async function copyOfApp(dir: string, features: string) {
  await rm(dir, { recursive: true, force: true })
  await mkdir(dir, { recursive: true })
  await cp(join(REPO_ROOT, 'src'), join(dir, 'src'), { recursive: true })
  await writeFile(join(dir, 'src', 'features.ts'), features)
  const config = (await readFile(join(REPO_ROOT, 'wrangler.toml'), 'utf8'))
    .replaceAll('"./node_modules/', '"../../../node_modules/')
    .replace(/^directory = "public"$/m, 'directory = "../../../public"')
  await writeFile(join(dir, 'wrangler.toml'), config)
}

/**
 * Builds the app once in full and once without each listed feature (`only` narrows the list), two
 * builds at a time, and returns each feature's added gzipped bytes.
 */
export async function measureFeatureBytes(only?: readonly string[]): Promise<FeatureBytes[]> {
  const list = await readFile(join(REPO_ROOT, 'src', 'features.ts'), 'utf8')
  const names = listedFeatures(list).filter((name) => !only || only.includes(name))
  const full = await build('full', list)
  const out: FeatureBytes[] = []
  for (let i = 0; i < names.length; i += 2) {
    const pair = names.slice(i, i + 2)
    const sizes = await Promise.all(pair.map((name) => build(name, without(list, name))))
    pair.forEach((name, k) => out.push({ name, addedGzip: full - sizes[k]! }))
  }
  await rm(BUILD_DIR, { recursive: true, force: true })
  return out
}

async function build(label: string, features: string) {
  const dir = join(BUILD_DIR, label)
  await copyOfApp(dir, features)
  const bundle = await bundleWorker(join(dir, 'out'), join(dir, 'wrangler.toml'))
  return bundle.gzipBytes
}

// `npm run bench:bytes [name ...]`: the table alone, without the load benchmark.
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const only = process.argv.slice(2)
  const rows = await measureFeatureBytes(only.length ? only : undefined)
  for (const row of rows.sort((a, b) => b.addedGzip - a.addedGzip)) {
    console.log(`${row.name.padEnd(20)} ${(row.addedGzip / 1024).toFixed(1).padStart(6)} KiB`)
  }
}
