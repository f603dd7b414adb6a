import { readdir, readFile } from 'node:fs/promises'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

// The two rules of the layout (README, "Layout"): a feature imports core/ and other features'
// index.ts, nothing else, and core/ imports no feature; every capability is one line of one list.
const src = fileURLToPath(new URL('../../src', import.meta.url))

async function sources(dir: string): Promise<string[]> {
  const out: string[] = []
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) out.push(...(await sources(path)))
    else if (/\.tsx?$/.test(entry.name)) out.push(path)
  }
  return out
}

async function importsOf(file: string): Promise<string[]> {
  const text = await readFile(file, 'utf8')
  return [...text.matchAll(/^(?:import|export)[^'"]*from '(\.[^']+)'/gm)].map((m) =>
    relative(src, join(file, '..', m[1]!)),
  )
}

describe('layout', () => {
  it('core/ imports no feature and nothing outside core/', async () => {
    const crossings: string[] = []
    for (const file of await sources(join(src, 'core'))) {
      for (const target of await importsOf(file)) {
        if (!target.startsWith('core/')) crossings.push(`${relative(src, file)} -> ${target}`)
      }
    }
    expect(crossings).toEqual([])
  })

  it("a feature imports core/, its own files and other features' index.ts only", async () => {
    const crossings: string[] = []
    for (const file of await sources(join(src, 'features'))) {
      const own = relative(src, file).split('/').slice(0, 2).join('/')
      for (const target of await importsOf(file)) {
        const ok =
          target.startsWith('core/') ||
          target.startsWith(`${own}/`) ||
          /^features\/[a-z0-9-]+$/.test(target)
        if (!ok) crossings.push(`${relative(src, file)} -> ${target}`)
      }
    }
    expect(crossings).toEqual([])
  })

  it('src/features.ts lists every feature folder, one line each', async () => {
    const folders = (await readdir(join(src, 'features'), { withFileTypes: true }))
      .filter((e) => e.isDirectory())
      .map((e) => e.name)
      .sort()
    const list = await readFile(join(src, 'features.ts'), 'utf8')
    const listed = [...list.matchAll(/from '\.\/features\/([a-z0-9-]+)'/g)].map((m) => m[1]).sort()
    expect(listed).toEqual(folders)
    expect(folders.length).toBeGreaterThan(0)
  })

  it('only the sign-in door and a session rotation start a session', async () => {
    const callers: string[] = []
    for (const file of await sources(src)) {
      if (/\bissueSessionCookie\(/.test(await readFile(file, 'utf8'))) {
        callers.push(relative(src, file))
      }
    }
    expect(callers.sort()).toEqual(['core/sessions/cookie.ts', 'core/signin/door.tsx'])
  })
})
