// RFC 5322 / RFC 2045-2047 message assembly: the bytes handed to the `send_email` binding are the
// message as it is delivered (and, locally, the .eml file in the outbox).

const encoder = new TextEncoder()
const CRLF = '\r\n'

export interface MimeMessage {
  from: string
  fromName: string
  to: string
  subject: string
  text: string
  html: string
  date?: Date
}

function hexByte(b: number) {
  return `=${b.toString(16).toUpperCase().padStart(2, '0')}`
}

/** Quoted-printable (RFC 2045 6.7) of UTF-8 text: readable in the .eml, lines of at most 76. */
export function quotedPrintable(text: string): string {
  const out: string[] = []
  for (const line of text.replace(/\r\n?/g, '\n').split('\n')) {
    const bytes = encoder.encode(line)
    let current = ''
    for (let i = 0; i < bytes.length; i++) {
      const b = bytes[i]!
      const last = i === bytes.length - 1
      const literal = (b >= 33 && b <= 126 && b !== 61) || ((b === 32 || b === 9) && !last)
      const piece = literal ? String.fromCharCode(b) : hexByte(b)
      if (current.length + piece.length > 75) {
        out.push(`${current}=`)
        current = ''
      }
      current += piece
    }
    out.push(current)
  }
  return out.join(CRLF)
}

function base64Utf8(text: string): string {
  return btoa(String.fromCharCode(...encoder.encode(text)))
}

/** A header value: as it is when printable ASCII, else RFC 2047 encoded words, folded. */
export function encodeHeaderText(value: string): string {
  if (/[\r\n]/.test(value)) throw new Error('header value with a line break')
  if (/^[\x20-\x7e]*$/.test(value)) return value
  const chars = [...value]
  const words: string[] = []
  // 10 code points are at most 40 bytes: 56 base64 characters, inside the 75 an encoded word allows.
  for (let i = 0; i < chars.length; i += 10) {
    words.push(`=?UTF-8?B?${base64Utf8(chars.slice(i, i + 10).join(''))}?=`)
  }
  return words.join(`${CRLF} `)
}

function mailbox(name: string, address: string): string {
  if (/[\s<>"]/.test(address)) throw new Error('unexpected character in an address')
  // Printable ASCII as a quoted-string (RFC 5322 3.2.4): a comma, colon or angle bracket in the
  // app's name must not read as more mailboxes or a group. Anything else as encoded words.
  const display = /^[\x20-\x7e]*$/.test(name)
    ? `"${name.replace(/[\\"]/g, '\\$&')}"`
    : encodeHeaderText(name)
  return name ? `${display} <${address}>` : `<${address}>`
}

function randomHex(bytes: number): string {
  return [...crypto.getRandomValues(new Uint8Array(bytes))]
    .map((b) => b.toString(16).padStart(2, '0'))
    .join('')
}

/** RFC 5322 date-time, e.g. `Wed, 25 Nov 2026 21:19:54 +0000`. */
function rfc5322Date(date: Date): string {
  return date.toUTCString().replace(/GMT$/, '+0000')
}

/** A complete multipart/alternative message (plain text first, then HTML), CRLF line ends. */
export function buildMime(message: MimeMessage): string {
  const domain = message.from.slice(message.from.lastIndexOf('@') + 1)
  // `=_` cannot occur in quoted-printable output, so no part can contain the boundary.
  const boundary = `=_${randomHex(12)}`
  const headers = [
    `From: ${mailbox(message.fromName, message.from)}`,
    `To: ${mailbox('', message.to)}`,
    `Subject: ${encodeHeaderText(message.subject)}`,
    `Date: ${rfc5322Date(message.date ?? new Date())}`,
    `Message-ID: <${randomHex(16)}@${domain}>`,
    // RFC 3834: automatic messages; well-behaved autoresponders do not answer them.
    'Auto-Submitted: auto-generated',
    'MIME-Version: 1.0',
    `Content-Type: multipart/alternative; boundary="${boundary}"`,
  ]
  const part = (type: string, body: string) =>
    [
      `--${boundary}`,
      `Content-Type: ${type}; charset=utf-8`,
      'Content-Transfer-Encoding: quoted-printable',
      '',
      quotedPrintable(body),
    ].join(CRLF)
  return [
    ...headers,
    '',
    part('text/plain', message.text),
    part('text/html', message.html),
    `--${boundary}--`,
    '',
  ].join(CRLF)
}
