import bcrypt from 'bcryptjs'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { subscriberPrefix } from '../../src/core/security/addresses'
import { checkNewPassword } from '../../src/core/passwords/rules'
import * as v from 'valibot'
import { normaliseEmail } from '../../src/core/forms/email'
import { fieldErrors } from '../../src/core/forms/validate'
import { signInSchema as loginSchema } from '../../src/features/password-sign-in/forms'
import { signupSchema } from '../../src/features/signup/forms'

// Issue 7: property-based tests of the pure pieces every request goes through.

type Body = Record<string, unknown>
const text = (b: Body, k: string) => (typeof b[k] === 'string' ? (b[k] as string) : '')

/** The signup schema as the route applies it: the values it keeps and the first error per field. */
function readSignup(b: Body, min: number) {
  const r = v.safeParse(signupSchema(min), b)
  const values = r.success
    ? r.output
    : {
        username: text(b, 'username').trim().normalize('NFC'),
        email: normaliseEmail(text(b, 'email')),
        password: text(b, 'password'),
      }
  return { values, errors: r.success ? {} : fieldErrors<string>(r.issues) }
}

/** The login schema as the route applies it. */
function readLogin(b: Body) {
  const r = v.safeParse(loginSchema, b)
  const values = r.success
    ? { email: r.output.email, password: r.output.password }
    : { email: normaliseEmail(text(b, 'email')), password: text(b, 'password') }
  return { values, errors: r.success ? {} : fieldErrors<string>(r.issues) }
}

const RUNS = { numRuns: 400 }
const encoder = new TextEncoder()
const bytes = (text: string) => encoder.encode(text).length

const loneSurrogate = fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c))
// Characters whose case mapping or normalisation is known to be awkward.
const awkward = fc.constantFrom(
  ' ',
  '\t',
  '\n',
  '\u00a0',
  '\u2028',
  '\u3000',
  '\ufeff',
  'İ',
  'ı',
  'ß',
  'ẞ',
  'Å',
  '\u212b',
  'ﬁ',
  '\u0301',
  '\u0345',
  'Σ',
  'ς',
  'ǅ',
  '\u1e9e',
  '\u0000',
  '\u202e',
  '@',
  '.',
)
/** Strings of every kind: graphemes, any code point, lone surrogates and awkward characters mixed. */
const wild = fc.oneof(
  fc.string({ unit: 'grapheme' }),
  fc.string({ unit: 'binary' }),
  fc.string({ unit: fc.oneof(loneSurrogate, awkward, fc.string({ minLength: 1, maxLength: 1 })) }),
)

describe('normaliseEmail', () => {
  it('is idempotent, trimmed, lower-case stable and NFC', () => {
    fc.assert(
      fc.property(wild, (raw) => {
        const once = normaliseEmail(raw)
        expect(normaliseEmail(once)).toBe(once)
        expect(once).not.toMatch(/^\s|\s$/u)
        expect(once.toLowerCase()).toBe(once)
        expect(once.normalize('NFC')).toBe(once)
      }),
      RUNS,
    )
  })

  it('maps case and composition variants of one address to one form', () => {
    const local = fc.stringMatching(/^[a-zà-ÿ0-9._+-]{1,30}$/)
    fc.assert(
      fc.property(local, fc.stringMatching(/^[a-z]{1,20}\.[a-z]{2,6}$/), (name, domain) => {
        const email = `${name}@${domain}`
        const variants = [
          email.toUpperCase(),
          ` ${email}\t`,
          email.normalize('NFD'),
          email.normalize('NFD').toUpperCase(),
        ]
        for (const v of variants) expect(normaliseEmail(v)).toBe(normaliseEmail(email))
      }),
      RUNS,
    )
  })
})

const field = fc.oneof(
  { weight: 5, arbitrary: wild },
  { weight: 1, arbitrary: fc.array(wild, { maxLength: 3 }) },
  { weight: 1, arbitrary: fc.constant(new File(['x'], 'x.txt')) },
)
const key = fc.oneof(
  fc.constantFrom('username', 'email', 'password', 'constructor', 'toString', 'email[]'),
  fc.string(),
)
/** Whatever Hono's parseBody could hand the readers: strings, arrays, files, odd keys. */
const body = fc.dictionary(key, field, { maxKeys: 6 })

describe('form readers', () => {
  it('readSignup never throws and names only its own fields', () => {
    fc.assert(
      fc.property(body, fc.integer({ min: 8, max: 64 }), (b, min) => {
        const { values, errors } = readSignup(b, min)
        for (const k of Object.keys(errors)) expect(['username', 'email', 'password']).toContain(k)
        for (const v of Object.values(values)) expect(typeof v).toBe('string')
        const email = typeof b.email === 'string' ? b.email : ''
        expect(values.email).toBe(normaliseEmail(email))
        expect(values.password).toBe(typeof b.password === 'string' ? b.password : '')
        if (values.username === '') expect(errors.username).toBeDefined()
        if (values.email === '') expect(errors.email).toBeDefined()
        if (values.password === '') expect(errors.password).toBeDefined()
      }),
      RUNS,
    )
  })

  it('readLogin never throws, checks presence only and names only its own fields', () => {
    fc.assert(
      fc.property(body, (b) => {
        const { values, errors } = readLogin(b)
        for (const k of Object.keys(errors)) expect(['email', 'password']).toContain(k)
        expect(values.password).toBe(typeof b.password === 'string' ? b.password : '')
        expect(Boolean(errors.password)).toBe(values.password === '')
        expect(Boolean(errors.email)).toBe(values.email === '' || values.email.length > 254)
      }),
      RUNS,
    )
  })

  // Letters of several scripts (no digits, so a password of digits never contains the name).
  const letter = fc.constantFrom(
    ...'AdaLovelace émile Ωμέγα مرحبا שלום 山田太郎 🦄🌈 ÅØß'.split(''),
  )
  const username = fc
    .string({ unit: letter, minLength: 1, maxLength: 64 })
    .filter((u) => u.trim() === u && u !== '')
  const email = fc
    .tuple(
      fc.stringMatching(/^[a-z._+-]{1,40}$/),
      // A domain label neither starts nor ends with a hyphen (the HTML standard's address).
      fc.stringMatching(/^[a-z](?:[a-z-]{0,18}[a-z])?\.[a-z]{2,6}$/),
      fc.boolean(),
    )
    .map(([l, d, upper]) => (upper ? `${l}@${d}`.toUpperCase() : `${l}@${d}`))
  const password = fc.stringMatching(/^[0-9]{15,60}$/).map((digits) => `#${digits}`)

  it('valid signups come through unchanged (but normalised) with no errors', () => {
    fc.assert(
      fc.property(username, email, password, (u, e, p) => {
        const { values, errors } = readSignup({ username: ` ${u} `, email: e, password: p }, 15)
        expect(errors).toEqual({})
        expect(values).toEqual({
          username: u.normalize('NFC'),
          email: e.toLowerCase(),
          password: p,
        })
        expect(readLogin({ email: e, password: p })).toEqual({
          values: { email: e.toLowerCase(), password: p },
          errors: {},
        })
      }),
      RUNS,
    )
  })
})

const group = fc.integer({ min: 0, max: 0xffff })
const groups = (n: number) => fc.array(group, { minLength: n, maxLength: n })
const hex = (g: number) => g.toString(16)

/** Every textual form of one IPv6 address: full, zero-padded, upper-case, `::`-compressed. */
function spellings(g: number[]): string[] {
  const forms = [g.map(hex).join(':'), g.map((x) => hex(x).padStart(4, '0')).join(':')]
  forms.push(forms[1]!.toUpperCase())
  // Compress each run of zero groups in turn (RFC 4291 allows any one run).
  for (let start = 0; start < 8; start++) {
    if (g[start] !== 0) continue
    let end = start
    while (end < 8 && g[end] === 0) end++
    forms.push(`${g.slice(0, start).map(hex).join(':')}::${g.slice(end).map(hex).join(':')}`)
    start = end
  }
  return forms
}

describe('subscriberPrefix', () => {
  // The all-zero /64 holds ::ffff:a.b.c.d, which counts as IPv4 by design.
  const prefix = groups(4).filter((p) => p.some((x) => x !== 0))

  it('maps every spelling of every address in one /64 to one key', () => {
    fc.assert(
      fc.property(prefix, groups(4), groups(4), (p, a, b) => {
        const key = subscriberPrefix(`${p.map(hex).join(':')}::1`)
        expect(key).toMatch(/^([0-9a-f]{1,4}:){4}:\/64$/)
        for (const address of [...spellings([...p, ...a]), ...spellings([...p, ...b])]) {
          expect(subscriberPrefix(address)).toBe(key)
          expect(subscriberPrefix(` ${address} `)).toBe(key)
        }
      }),
      RUNS,
    )
  })

  it('keeps different /64s apart', () => {
    fc.assert(
      fc.property(prefix, prefix, groups(4), (p, q, iid) => {
        fc.pre(p.join() !== q.join())
        expect(subscriberPrefix([...p, ...iid].map(hex).join(':'))).not.toBe(
          subscriberPrefix([...q, ...iid].map(hex).join(':')),
        )
      }),
      RUNS,
    )
  })

  it('maps IPv4 to itself and IPv4-mapped IPv6 to the IPv4', () => {
    fc.assert(
      fc.property(fc.ipV4(), (v4) => {
        expect(subscriberPrefix(v4)).toBe(v4)
        const [a, b, c, d] = v4.split('.').map(Number) as [number, number, number, number]
        const mapped = [
          `::ffff:${v4}`,
          `::FFFF:${v4}`,
          `0:0:0:0:0:ffff:${v4}`,
          `::ffff:${hex((a << 8) | b)}:${hex((c << 8) | d)}`,
        ]
        for (const m of mapped) expect(subscriberPrefix(m)).toBe(v4)
      }),
      RUNS,
    )
  })

  it('never throws, and answers every generated IPv6 with a /64 or an IPv4', () => {
    fc.assert(
      fc.property(wild, (raw) => {
        expect(typeof subscriberPrefix(raw)).toBe('string')
      }),
      RUNS,
    )
    fc.assert(
      fc.property(fc.ipV6(), (v6) => {
        expect(subscriberPrefix(v6)).toMatch(
          /^(([0-9a-f]{1,4}:){4}:\/64|\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3})$/,
        )
      }),
      RUNS,
    )
  })
})

describe('checkNewPassword', () => {
  const long = fc.oneof(
    fc.string({ unit: 'grapheme', minLength: 10, maxLength: 90 }),
    fc.string({ unit: 'binary', minLength: 10, maxLength: 90 }),
    fc.string({ unit: fc.oneof(loneSurrogate, awkward, fc.constantFrom('a', 'é', '€', '🔑')) }),
    fc.string({
      unit: fc.constantFrom('a', 'é', '€', '🔑', 'ﬁ', '㍻'),
      minLength: 14,
      maxLength: 40,
    }),
  )

  it('never throws, and never accepts what bcrypt would truncate', () => {
    fc.assert(
      fc.property(long, fc.integer({ min: 8, max: 64 }), wild, (password, min, context) => {
        const verdict = checkNewPassword(password, min, [context])
        const normalised = password.normalize('NFKC')
        // Too short in code points can come first; either way it is refused.
        if (bytes(normalised) > 72) expect(verdict).not.toBeNull()
        if (verdict === null) {
          expect(bytes(normalised)).toBeLessThanOrEqual(72)
          expect([...normalised].length).toBeGreaterThanOrEqual(min)
          expect(bcrypt.truncates(normalised)).toBe(false)
        }
      }),
      RUNS,
    )
  })

  it('refuses every password over 72 UTF-8 bytes that normalisation leaves alone', () => {
    const over = fc
      .string({
        unit: fc.constantFrom('a', 'Z', '9', 'é', '€', '🔑', ' ', '\ud800'),
        minLength: 19,
      })
      .filter((p) => bytes(p) > 72 && p.normalize('NFKC') === p)
    fc.assert(
      fc.property(over, (p) => {
        expect(checkNewPassword(p, 8)).toMatch(/at most 72 bytes/)
      }),
      RUNS,
    )
  })
})
