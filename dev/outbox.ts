// The local mail outbox. `wrangler dev` (miniflare) simulates the `send_email` binding: a raw
// message is written whole to a temp .eml file and logged as
//   send_email binding called with the following message:
//     /tmp/miniflare-<hex>/files/email/<uuid>.eml
// The dev runner hands every wrangler output line to an outbox, which copies each such file to
// .data/outbox/ (kept after wrangler exits and removes its temp dir) and prints one line per message.
import { chmod, copyFile, mkdir, readdir, readFile, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { basename, dirname, join, relative } from 'node:path'

/** What a message says, read back from its .eml file. */
export interface SentMail {
  file: string
  from: string
  to: string
  subject: string
  date: string
  text: string
  html: string
  /** The first http(s) link of the plain-text part, if any. */
  link?: string
  headers: Record<string, string>
}

const ANSI = /\u001b\[[0-9;]*m/g
const EML_PATH = /(\/\S*miniflare-[^/\s]+\/files\/email\/[0-9a-f-]+\.eml)\s*$/i

/** The temp .eml path a wrangler output line names, if it names one. */
export function emlPathFromLog(line: string): string | undefined {
  return EML_PATH.exec(line.replace(ANSI, ''))?.[1]
}

function decodeWords(value: string): string {
  return value.replace(/=\?([^?]+)\?([BbQq])\?([^?]*)\?=\s*/g, (_m, charset: string, enc, text) => {
    const bytes =
      enc.toUpperCase() === 'B'
        ? Buffer.from(text, 'base64')
        : Buffer.from(
            text
              .replace(/_/g, ' ')
              .replace(/=([0-9A-F]{2})/gi, (_x: string, h: string) =>
                String.fromCharCode(parseInt(h, 16)),
              ),
            'latin1',
          )
    return new TextDecoder(charset).decode(bytes)
  })
}

function parseHeaders(block: string): Record<string, string> {
  const headers: Record<string, string> = {}
  for (const line of block.replace(/\r\n[ \t]+/g, ' ').split(/\r?\n/)) {
    const colon = line.indexOf(':')
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim()
  }
  return headers
}

function decodeBody(body: string, encoding = ''): string {
  const enc = encoding.toLowerCase()
  if (enc === 'base64') return Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8')
  if (enc === 'quoted-printable') {
    const joined = body.replace(/=\r?\n/g, '')
    const bytes: number[] = []
    for (let i = 0; i < joined.length; i++) {
      const hex = joined.slice(i + 1, i + 3)
      if (joined[i] === '=' && /^[0-9A-F]{2}$/i.test(hex)) {
        bytes.push(parseInt(hex, 16))
        i += 2
      } else bytes.push(...Buffer.from(joined[i]!, 'utf8'))
    }
    return Buffer.from(bytes).toString('utf8').replace(/\r\n/g, '\n')
  }
  return body.replace(/\r\n/g, '\n')
}

function splitHead(raw: string): [string, string] {
  const at = raw.search(/\r?\n\r?\n/)
  if (at < 0) return [raw, '']
  const sep = /\r?\n\r?\n/.exec(raw.slice(at))![0]
  return [raw.slice(0, at), raw.slice(at + sep.length)]
}

function address(value = ''): string {
  return (/<([^>]+)>/.exec(value)?.[1] ?? value).trim()
}

/** Reads an RFC 5322 message: headers, and the text and HTML parts of a multipart/alternative. */
export function parseEml(raw: string, file = ''): SentMail {
  const [head, body] = splitHead(raw)
  const headers = parseHeaders(head)
  const parts: Record<string, string> = {}
  const boundary = /boundary="?([^";]+)"?/i.exec(headers['content-type'] ?? '')?.[1]
  if (boundary) {
    for (const chunk of body.split(`--${boundary}`).slice(1)) {
      if (chunk.startsWith('--')) break
      const [partHead, partBody] = splitHead(chunk.replace(/^\r?\n/, ''))
      const ph = parseHeaders(partHead)
      const type = (ph['content-type'] ?? 'text/plain').split(';')[0]!.trim().toLowerCase()
      parts[type] = decodeBody(partBody.replace(/\r?\n$/, ''), ph['content-transfer-encoding'])
    }
  } else {
    const type = (headers['content-type'] ?? 'text/plain').split(';')[0]!.trim().toLowerCase()
    parts[type] = decodeBody(body, headers['content-transfer-encoding'])
  }
  const text = parts['text/plain'] ?? ''
  return {
    file,
    from: address(headers.from),
    to: address(headers.to),
    subject: decodeWords(headers.subject ?? ''),
    date: headers.date ?? '',
    text,
    html: parts['text/html'] ?? '',
    link: /https?:\/\/\S+/.exec(text)?.[0],
    headers,
  }
}

/** Reads and parses one .eml file. */
export async function readEml(file: string): Promise<SentMail> {
  return parseEml(await readFile(file, 'utf8'), file)
}

function slug(text: string): string {
  return (
    text
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-|-$/g, '')
      .slice(0, 48) || 'message'
  )
}

/**
 * Copies a sent message into `dir` as `<time>-<subject>.eml` and returns the copy, parsed, with
 * the one line the dev runner prints: recipient, subject and link.
 */
export async function keepInOutbox(tempFile: string, dir: string) {
  const mail = await readEml(tempFile)
  // Messages hold live reset links and codes: the folder and its parent are the developer's alone.
  await mkdir(dir, { recursive: true, mode: 0o700 })
  await Promise.all([chmod(dir, 0o700), chmod(dirname(dir), 0o700)])
  const stamp = new Date().toISOString().replace(/[:.]/g, '-')
  const file = join(dir, `${stamp}-${slug(mail.subject)}-${basename(tempFile).slice(0, 8)}.eml`)
  await copyFile(tempFile, file)
  await chmod(file, 0o600)
  const where = relative(process.cwd(), file) || file
  const line = `mail to ${mail.to}: "${mail.subject}"${mail.link ? `  ${mail.link}` : ''}  (${where})`
  return { mail: { ...mail, file }, line }
}

export interface Outbox {
  dir: string
  /**
   * Give it every line wrangler prints; true when the line named a sent message (which is then
   * copied and announced; the runner may hide the raw line).
   */
  handle(line: string): boolean
  /** Resolves once every message seen so far has been copied. */
  flush(): Promise<void>
}

/** An outbox in `dir` (`.data/outbox` for `npm run dev`) that announces each message with `print`. */
export function createOutbox(opts: { dir: string; print: (line: string) => void }): Outbox {
  let pending: Promise<void> = Promise.resolve()
  return {
    dir: opts.dir,
    handle(line) {
      if (line.replace(ANSI, '').includes('send_email binding called with')) return true
      const file = emlPathFromLog(line)
      if (!file) return false
      pending = pending.then(() =>
        keepInOutbox(file, opts.dir).then(
          ({ line: summary }) => opts.print(summary),
          (err: unknown) => opts.print(`mail: could not copy ${file}: ${String(err)}`),
        ),
      )
      return true
    },
    flush: () => pending,
  }
}

const parsed = new Map<string, SentMail>()

/**
 * Every message to `to` that a simulated `send_email` binding of this machine wrote (miniflare's
 * temp dirs under the OS temp dir: the tests' workerd and `wrangler dev` alike), oldest first.
 * For tests, which cannot see the log line the dev runner reads.
 */
export async function findSentMail(to: string): Promise<SentMail[]> {
  const root = tmpdir()
  const dirs = (await readdir(root).catch(() => [] as string[])).filter((d) =>
    d.startsWith('miniflare-'),
  )
  const found: { mail: SentMail; time: number }[] = []
  for (const dir of dirs) {
    const emailDir = join(root, dir, 'files', 'email')
    const files = await readdir(emailDir).catch(() => [] as string[])
    for (const name of files.filter((f) => f.endsWith('.eml'))) {
      const file = join(emailDir, name)
      let mail = parsed.get(file)
      if (!mail) {
        const raw = await readFile(file, 'utf8').catch(() => '')
        // A file still being written ends before its closing boundary: read it next time.
        if (!raw.trimEnd().endsWith('--')) continue
        mail = parseEml(raw, file)
        parsed.set(file, mail)
      }
      if (mail.to.toLowerCase() !== to.toLowerCase()) continue
      const time = (await stat(file).catch(() => undefined))?.mtimeMs ?? 0
      found.push({ mail, time })
    }
  }
  return found.sort((a, b) => a.time - b.time).map((f) => f.mail)
}
