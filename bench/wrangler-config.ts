// Reads the few wrangler.toml settings that the generated workerd config must mirror. wrangler's own
// TOML parser is bundled inside it and not exported, and no TOML package is installed: this reads
// the simple `key = value` form the project's wrangler.toml uses, and nothing more.
import { readFile } from 'node:fs/promises'

export interface WranglerSettings {
  compatibilityDate: string
  compatibilityFlags: string[]
  /** `[vars]`, string values only (what Workers passes as text bindings). */
  vars: Record<string, string>
  /** Names of `[[send_email]]` bindings. */
  sendEmail: string[]
}

function parseValue(raw: string): unknown {
  const value = raw.trim()
  if (value.startsWith('"') || value.startsWith('[')) return JSON.parse(value)
  if (value.startsWith("'")) return value.slice(1, value.lastIndexOf("'"))
  if (value === 'true' || value === 'false') return value === 'true'
  return Number(value)
}

/** Parses the settings of `path` (a wrangler.toml) that matter to workerd. */
export async function readWranglerSettings(path: string): Promise<WranglerSettings> {
  const settings: WranglerSettings = {
    compatibilityDate: '',
    compatibilityFlags: [],
    vars: {},
    sendEmail: [],
  }
  let table = ''
  for (const rawLine of (await readFile(path, 'utf8')).split('\n')) {
    const line = rawLine.replace(/\s+#.*$/, '').trim()
    if (line === '' || line.startsWith('#')) continue
    const header = /^\[\[?\s*([^\]]+?)\s*\]\]?$/.exec(line)
    if (header) {
      table = header[1]!
      continue
    }
    const pair = /^([A-Za-z0-9_-]+|"[^"]+")\s*=\s*(.+)$/.exec(line)
    if (!pair) continue
    const key = pair[1]!.replace(/^"|"$/g, '')
    const value = parseValue(pair[2]!)
    if (table === '') {
      if (key === 'compatibility_date') settings.compatibilityDate = String(value)
      if (key === 'compatibility_flags') settings.compatibilityFlags = value as string[]
    } else if (table === 'vars' && typeof value === 'string') {
      settings.vars[key] = value
    } else if (table === 'send_email' && key === 'name') {
      settings.sendEmail.push(String(value))
    }
  }
  if (!settings.compatibilityDate) throw new Error(`${path}: no compatibility_date`)
  return settings
}
