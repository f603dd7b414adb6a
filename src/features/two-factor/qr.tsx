// A QR code encoder (ISO/IEC 18004) for the one thing this app draws: the otpauth:// URI, in byte
// mode at error correction level M, any version 1-40, mask chosen by the standard's penalty rules.
// About a quarter of a general encoder's bytes (uqr), since it needs no other mode, level or
// renderer; test/app/qr-decode.test.ts reads what it draws back with a real decoder (jsQR).

// Per version (index 0 unused), level M: error correction codewords per block, and blocks.
const ECC = [
  0, 10, 16, 26, 18, 24, 16, 18, 22, 22, 26, 30, 22, 22, 24, 24, 28, 28, 26, 26, 26, 26, 28, 28, 28,
  28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28,
]
const BLOCKS = [
  0, 1, 1, 1, 2, 2, 4, 4, 4, 5, 5, 5, 8, 9, 9, 10, 10, 11, 13, 14, 16, 17, 17, 18, 20, 21, 23, 25,
  26, 28, 29, 31, 33, 35, 37, 38, 40, 43, 45, 47, 49,
]

/** Codewords (data and error correction) a version holds. */
function capacity(ver: number): number {
  let bits = (16 * ver + 128) * ver + 64
  if (ver >= 2) {
    const align = Math.floor(ver / 7) + 2
    bits -= (25 * align - 10) * align - 55
    if (ver >= 7) bits -= 36
  }
  return bits >> 3
}

/** Multiplication in GF(2^8) modulo x^8 + x^4 + x^3 + x^2 + 1. */
function mul(x: number, y: number): number {
  let z = 0
  for (let i = 7; i >= 0; i--) z = ((z << 1) ^ ((z >>> 7) * 0x11d) ^ (((y >>> i) & 1) * x)) & 255
  return z
}

/** The Reed-Solomon error correction codewords of `data`. */
function reedSolomon(data: number[], degree: number): number[] {
  const divisor = Array<number>(degree).fill(0)
  divisor[degree - 1] = 1
  for (let i = 0, root = 1; i < degree; i++, root = mul(root, 2)) {
    for (let j = 0; j < degree; j++) divisor[j] = mul(divisor[j]!, root) ^ (divisor[j + 1] ?? 0)
  }
  const rest = Array<number>(degree).fill(0)
  for (const byte of data) {
    const factor = byte ^ rest.shift()!
    rest.push(0)
    divisor.forEach((coef, i) => (rest[i]! ^= mul(coef, factor)))
  }
  return rest
}

/** The codewords for `bytes`: the smallest version that holds them, blocks interleaved. */
function codewords(bytes: Uint8Array): { ver: number; words: number[] } {
  let ver = 1
  const room = (v: number) => 8 * (capacity(v) - ECC[v]! * BLOCKS[v]!)
  // 4 bits of mode, the count (8 bits up to version 9, else 16), the bytes.
  while (12 + (ver < 10 ? 0 : 8) + 8 * bytes.length > room(ver)) {
    if (++ver > 40) throw new RangeError('too long for a QR code')
  }
  const bin = (value: number, n: number) => value.toString(2).padStart(n, '0')
  let bits = '0100' + bin(bytes.length, ver < 10 ? 8 : 16)
  bytes.forEach((b) => (bits += bin(b, 8)))
  // The terminator, to a whole byte, then the pad bytes 0xEC 0x11 by turns.
  bits += '0'.repeat(Math.min(4, room(ver) - bits.length))
  bits += '0'.repeat((8 - (bits.length % 8)) % 8)
  for (let i = 0; bits.length < room(ver); i++) bits += i % 2 ? '00010001' : '11101100'
  const data = (bits.match(/.{8}/g) ?? []).map((byte) => parseInt(byte, 2))
  // Split into blocks (the short ones first, one data codeword fewer), then interleave.
  const blocks = BLOCKS[ver]!
  const ecc = ECC[ver]!
  const short = Math.floor(capacity(ver) / blocks) - ecc
  const parts: number[][] = []
  for (let b = 0, at = 0; b < blocks; b++) {
    const length = short + (b >= blocks - (capacity(ver) % blocks) ? 1 : 0)
    parts.push(data.slice(at, (at += length)))
  }
  const checks = parts.map((p) => reedSolomon(p, ecc))
  const words: number[] = []
  for (let i = 0; i <= short; i++) parts.forEach((p) => i < p.length && words.push(p[i]!))
  for (let i = 0; i < ecc; i++) checks.forEach((c) => words.push(c[i]!))
  return { ver, words }
}

const MASKS: ((x: number, y: number) => boolean)[] = [
  (x, y) => (x + y) % 2 === 0,
  (_, y) => y % 2 === 0,
  (x) => x % 3 === 0,
  (x, y) => (x + y) % 3 === 0,
  (x, y) => (Math.floor(x / 3) + Math.floor(y / 2)) % 2 === 0,
  (x, y) => ((x * y) % 2) + ((x * y) % 3) === 0,
  (x, y) => (((x * y) % 2) + ((x * y) % 3)) % 2 === 0,
  (x, y) => (((x + y) % 2) + ((x * y) % 3)) % 2 === 0,
]

/**
 * The symbol for `text` as rows of dark (true) and light modules, without the quiet zone; `mask`
 * forces one of the eight masks (for the tests' comparison with a reference encoder).
 */
export function qrMatrix(text: string, mask?: number): boolean[][] {
  const { ver, words } = codewords(new TextEncoder().encode(text))
  const size = 4 * ver + 17
  // Each module: undefined until drawn, 0 or 1 for data, 2 or 3 for a function pattern (fixed).
  const grid = Array.from({ length: size }, () => Array<number | undefined>(size))
  const set = (x: number, y: number, dark: boolean) => {
    if (x >= 0 && x < size && y >= 0 && y < size) grid[y]![x] = dark ? 3 : 2
  }
  /** A square pattern of radius `r` around (cx, cy), dark by distance from the centre. */
  const square = (cx: number, cy: number, r: number, dark: (d: number) => boolean) => {
    for (let dy = -r; dy <= r; dy++) {
      for (let dx = -r; dx <= r; dx++)
        set(cx + dx, cy + dy, dark(Math.max(Math.abs(dx), Math.abs(dy))))
    }
  }
  for (let i = 0; i < size; i++) {
    set(6, i, i % 2 === 0)
    set(i, 6, i % 2 === 0)
  }
  // Finder patterns with their separators, then alignment patterns.
  const finder = (d: number) => d !== 2 && d !== 4
  square(3, 3, 4, finder)
  square(size - 4, 3, 4, finder)
  square(3, size - 4, 4, finder)
  const align: number[] = []
  if (ver > 1) {
    const count = Math.floor(ver / 7) + 2
    const step = Math.floor((ver * 8 + count * 3 + 5) / (count * 4 - 4)) * 2
    for (let pos = size - 7; align.length < count - 1; pos -= step) align.unshift(pos)
    align.unshift(6)
  }
  const last = align.length - 1
  align.forEach((ax, i) =>
    align.forEach((ay, j) => {
      if (i + j > 0 && !(i === 0 && j === last) && !(i === last && j === 0)) {
        square(ax, ay, 2, (d) => d !== 1)
      }
    }),
  )
  // Version information (version 7 and up): 6 bits and a 12-bit BCH code, twice.
  if (ver >= 7) {
    let rem = ver
    for (let i = 0; i < 12; i++) rem = (rem << 1) ^ ((rem >>> 11) * 0x1f25)
    for (let i = 0; i < 18; i++) {
      const dark = (((ver << 12) | rem) >>> i) & 1
      set(size - 11 + (i % 3), Math.floor(i / 3), dark === 1)
      set(Math.floor(i / 3), size - 11 + (i % 3), dark === 1)
    }
  }
  const drawFormat = (mask: number) => {
    // Level M is 00; then the mask; a 10-bit BCH code; the fixed XOR pattern. Two copies.
    let rem = mask
    for (let i = 0; i < 10; i++) rem = (rem << 1) ^ ((rem >>> 9) * 0x537)
    const bits = ((mask << 10) | rem) ^ 0x5412
    for (let i = 0; i < 15; i++) {
      const dark = ((bits >>> i) & 1) === 1
      if (i < 6) set(8, i, dark)
      else if (i < 8) set(8, i + 1, dark)
      else set(i < 9 ? 7 : 14 - i, 8, dark)
      if (i < 8) set(size - 1 - i, 8, dark)
      else set(8, size - 15 + i, dark)
    }
    set(8, size - 8, true)
  }
  drawFormat(0)
  // The codewords, in two-module columns zigzagging up and down from the right.
  let i = 0
  for (let right = size - 1; right >= 1; right -= 2) {
    if (right === 6) right = 5
    for (let vert = 0; vert < size; vert++) {
      for (let j = 0; j < 2; j++) {
        const x = right - j
        const y = ((right + 1) & 2) === 0 ? size - 1 - vert : vert
        if (grid[y]![x] === undefined) {
          grid[y]![x] = i < words.length * 8 ? (words[i >>> 3]! >>> (7 - (i & 7))) & 1 : 0
          i++
        }
      }
    }
  }
  const masked = (m: number) => {
    drawFormat(m)
    return grid.map((row, y) => row.map((v, x) => ((v! & 1) === 1) !== (v! < 2 && MASKS[m]!(x, y))))
  }
  if (mask !== undefined) return masked(mask)
  let best = masked(0)
  for (let m = 1, score = penalty(best); m < 8; m++) {
    const candidate = masked(m)
    const s = penalty(candidate)
    if (s < score) [best, score] = [candidate, s]
  }
  return best
}

/** The standard's penalty for a masked symbol (lower scans better). */
function penalty(grid: boolean[][]): number {
  const lines = [...grid, ...grid.map((_, x) => grid.map((row) => row[x]!))].map((line) =>
    line.map(Number).join(''),
  )
  let score = 0
  for (const line of lines) {
    for (const run of line.match(/0{5,}|1{5,}/g) ?? []) score += run.length - 2
    score += 40 * (line.match(/(?=10111010000|00001011101)/g)?.length ?? 0)
  }
  let dark = 0
  grid.forEach((row, y) =>
    row.forEach((d, x) => {
      dark += Number(d)
      const below = grid[y + 1]
      if (below && x + 1 < row.length && d === row[x + 1] && d === below[x] && d === below[x + 1]) {
        score += 3
      }
    }),
  )
  const total = grid.length ** 2
  return score + 10 * (Math.ceil(Math.abs(dark * 20 - total * 10) / total) - 1)
}

/**
 * The key URI as a QR code drawn on the server, an inline SVG (no external service, no script):
 * one path of runs of dark modules, dark on a light square whatever the page's colour scheme, with
 * a quiet zone of four modules. The secret is also shown as text beside it.
 */
export function QrCode(props: { text: string; label: string }) {
  const grid = qrMatrix(props.text)
  const size = grid.length + 8
  let path = ''
  grid.forEach((row, y) => {
    for (const run of row.map(Number).join('').matchAll(/1+/g)) {
      path += `M${run.index + 4} ${y + 4}h${run[0].length}v1h-${run[0].length}z`
    }
  })
  return (
    <svg
      class="qr"
      viewBox={`0 0 ${size} ${size}`}
      width="232"
      height="232"
      role="img"
      aria-label={props.label}
      shape-rendering="crispEdges"
    >
      <rect width={size} height={size} fill="#fff" />
      <path d={path} fill="#000" />
    </svg>
  )
}
