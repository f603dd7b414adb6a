import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { startStack, type Stack, type StackOptions } from '../dev/stack'

const dataRoot = fileURLToPath(new URL('../.data', import.meta.url))

/**
 * A private MySQL on a throw-away data dir under .data/, a fresh database, the gateway and the
 * migrations; `stop()` also removes the data dir. Each test project gets its own, so projects and
 * a developer's `npm run dev` never share state.
 */
export async function startTestStack(
  tag: string,
  database: string,
  options: Pick<StackOptions, 'migrate' | 'log'> = {},
): Promise<Stack> {
  await mkdir(dataRoot, { recursive: true, mode: 0o700 })
  const dataDir = await mkdtemp(join(dataRoot, `test-${tag}-`))
  const removeDir = () => rm(dataDir, { recursive: true, force: true })
  try {
    const stack = await startStack({ ...options, dataDir, database, fresh: true })
    return { ...stack, stop: () => stack.stop().finally(removeDir) }
  } catch (err) {
    await removeDir()
    throw err
  }
}
