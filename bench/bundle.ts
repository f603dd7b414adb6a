import { execFile } from 'node:child_process'
import { readdir, readFile } from 'node:fs/promises'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { gzipSync } from 'node:zlib'

const run = promisify(execFile)

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const WRANGLER = join(REPO_ROOT, 'node_modules', 'wrangler', 'bin', 'wrangler.js')

export type ModuleKind = 'esModule' | 'wasm' | 'text' | 'data' | 'json'

export interface BundledModule {
  name: string
  kind: ModuleKind
  path: string
}

export interface Bundle {
  outdir: string
  /** The entry module first, as workerd expects. */
  modules: BundledModule[]
  rawBytes: number
  gzipBytes: number
  /**
   * Minified bytes in the bundle per npm package, and for the project's own code `feature <name>`
   * (`src/features/<name>/`), `core` (`src/core/`) and `app` (the rest); see `isOwnCode`.
   */
  shares: Array<{ name: string; rawBytes: number }>
}

interface Metafile {
  outputs: Record<string, { inputs: Record<string, { bytesInOutput: number }> }>
}

/** Whether a `shares` row is the project's own code rather than an npm package's. */
export function isOwnCode(name: string): boolean {
  // npm package names hold no spaces, so `feature <name>` cannot be one.
  return name === 'app' || name === 'core' || name.startsWith('feature ')
}

/**
 * The package a bundled input path belongs to: the npm package under `node_modules/`, else for the
 * project's own files `feature <name>` under `src/features/<name>/`, `core` under `src/core/` and
 * `app` for the rest.
 */
function packageOf(input: string): string {
  const path = input.replaceAll('\\', '/')
  const at = path.lastIndexOf('node_modules/')
  if (at >= 0) {
    const parts = path.slice(at + 'node_modules/'.length).split('/')
    return parts[0]!.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0]!
  }
  // esbuild names inputs relative to its working directory, the repository root.
  const own = relative(REPO_ROOT, resolve(REPO_ROOT, path)).replaceAll('\\', '/')
  const feature = /^src\/features\/([^/]+)\//.exec(own)
  if (feature) return `feature ${feature[1]}`
  if (own.startsWith('src/core/')) return 'core'
  return 'app'
}

function sharesOf(meta: Metafile): Bundle['shares'] {
  const bytes = new Map<string, number>()
  for (const output of Object.values(meta.outputs)) {
    for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
      const name = packageOf(input)
      bytes.set(name, (bytes.get(name) ?? 0) + bytesInOutput)
    }
  }
  return [...bytes.entries()]
    .map(([name, rawBytes]) => ({ name, rawBytes }))
    .sort((a, b) => b.rawBytes - a.rawBytes)
}

const KINDS: Record<string, ModuleKind> = {
  '.js': 'esModule',
  '.mjs': 'esModule',
  '.wasm': 'wasm',
  '.txt': 'text',
  '.html': 'text',
  '.bin': 'data',
  '.json': 'json',
}

function kindOf(name: string): ModuleKind | undefined {
  const dot = name.lastIndexOf('.')
  return dot < 0 ? undefined : KINDS[name.slice(dot)]
}

/**
 * Bundles a Worker exactly as `wrangler deploy` would (`--dry-run --outdir`), from the wrangler
 * config at `configPath` (default: the app's wrangler.toml), and lists the modules workerd must load.
 */
export async function bundleWorker(
  outdir: string,
  configPath?: string,
  extraArgs: string[] = [],
): Promise<Bundle> {
  // The metafile goes beside the bundle's directory, not in it: workerd must not load it.
  const metafile = `${outdir}.meta.json`
  const args = [WRANGLER, 'deploy', '--dry-run', '--outdir', outdir, '--metafile', metafile]
  args.push(...extraArgs)
  if (configPath) args.push('--config', configPath)
  const { stdout } = await run(process.execPath, args, {
    cwd: REPO_ROOT,
    env: { ...process.env, WRANGLER_SEND_METRICS: 'false', NO_COLOR: '1', CI: 'true' },
  })
  if (!stdout.includes('--dry-run: exiting now.')) throw new Error(`wrangler: ${stdout}`)
  const names = (await readdir(outdir)).filter((name) => kindOf(name) && !name.endsWith('.map'))
  const entry = names.includes('index.js') ? 'index.js' : names.find((n) => n.endsWith('.js'))
  if (!entry) throw new Error(`no JavaScript module in ${outdir}`)
  const ordered = [entry, ...names.filter((n) => n !== entry).sort()]
  const modules = ordered.map((name) => ({ name, kind: kindOf(name)!, path: join(outdir, name) }))
  let rawBytes = 0
  let gzipBytes = 0
  for (const module of modules) {
    const bytes = await readFile(module.path)
    rawBytes += bytes.length
    gzipBytes += gzipSync(bytes).length
  }
  const shares = sharesOf(JSON.parse(await readFile(metafile, 'utf8')) as Metafile)
  return { outdir, modules, rawBytes, gzipBytes, shares }
}
