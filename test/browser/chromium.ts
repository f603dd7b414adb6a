import { spawnSync } from 'node:child_process'
import { accessSync, constants, readdirSync } from 'node:fs'
import { homedir } from 'node:os'
import { delimiter, join } from 'node:path'

const INSTALL = 'sudo apt-get update && sudo apt-get install -y chromium'

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK)
    return true
  } catch {
    return false
  }
}

function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir && executable(join(dir, name))) return join(dir, name)
  }
  return undefined
}

/** Browsers that `playwright install` put in its cache (newest first), should a developer have any. */
function playwrightCache(): string[] {
  const root = process.env.PLAYWRIGHT_BROWSERS_PATH || join(homedir(), '.cache', 'ms-playwright')
  let dirs: string[]
  try {
    dirs = readdirSync(root).sort().reverse()
  } catch {
    return []
  }
  return dirs.flatMap((dir) => [
    join(root, dir, 'chrome-linux', 'chrome'),
    join(root, dir, 'chrome-linux64', 'chrome'),
    join(root, dir, 'chrome-linux', 'headless_shell'),
    join(root, dir, 'chrome-headless-shell-linux64', 'chrome-headless-shell'),
  ])
}

function findChromium(): string | undefined {
  const candidates = [
    '/usr/bin/chromium',
    onPath('chromium'),
    onPath('chromium-browser'),
    ...playwrightCache(),
  ]
  return candidates.find((path): path is string => Boolean(path) && executable(path!))
}

function canInstall(): boolean {
  return process.getuid?.() === 0 && Boolean(onPath('apt-get'))
}

function install(log: (line: string) => void) {
  log('browser tests: no Chromium found; installing Debian\'s "chromium" package with apt-get')
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }
  const steps = [
    ['update', '-qq'],
    ['install', '-y', '-qq', '--no-install-recommends', 'chromium'],
  ]
  for (const args of steps) {
    const run = spawnSync('apt-get', args, { env, stdio: ['ignore', 'inherit', 'inherit'] })
    if (run.status !== 0) {
      throw clearError(
        `apt-get ${args[0]} failed (exit ${run.status}). Install it yourself: ${INSTALL}`,
      )
    }
  }
}

/**
 * The Chromium the browser tests drive: CHROMIUM_PATH if set (and nothing else, so a wrong value is
 * reported rather than silently replaced), else the system's or Playwright's. When there is none and
 * this runs as root with apt-get (CI, a fresh container), Debian's package is installed; otherwise
 * one error names the command to run.
 */
export function resolveChromium(log: (line: string) => void = console.log): string {
  const forced = process.env.CHROMIUM_PATH
  if (forced) {
    if (executable(forced)) return forced
    throw clearError(`CHROMIUM_PATH=${forced} is not an executable file.`)
  }
  const found = findChromium()
  if (found) return found
  if (canInstall()) {
    install(log)
    const installed = findChromium()
    if (installed) return installed
  }
  throw clearError(
    'The browser tests need Chromium and none was found (looked for CHROMIUM_PATH, ' +
      '/usr/bin/chromium, chromium or chromium-browser on PATH, and Playwright’s browser cache).\n' +
      `Install it with: ${INSTALL}\n(or set CHROMIUM_PATH to a Chromium or Chrome binary)`,
  )
}

/** An error whose report is its message alone: a stack into the test runner would only distract. */
function clearError(message: string): Error {
  const error = new Error(message)
  error.stack = `Error: ${message}`
  return error
}
