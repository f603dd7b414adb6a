import { eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { users } from '../../src/core/db/schema'
import {
  captureLogs,
  cookieFrom,
  db,
  escapeHtml,
  FLASH,
  get,
  ORIGIN,
  post,
  postRaw,
  SESSION,
  signup,
  uniqueEmail,
} from './helpers'
import { SELF } from 'cloudflare:test'

// Issue 7: hostile inputs across every form and page. Each row is one request (or one short flow);
// every answer must be a clean 4xx or a success, reflect nothing unescaped and never echo a password.

interface Case {
  label: string
  run: () => Promise<Response>
  /** Allowed statuses: all of them below 500. */
  status: number[]
  /** Strings the request carried that would be dangerous if they came back unescaped. */
  sent?: string[]
  password?: string
  /** The username the row must hold afterwards (what was sent, normalised), for accepted signups. */
  stored?: { email: string; username: string }
  /** More checks on the answer's body. */
  also?: (html: string) => void
  /** A known bug in src/ this row shows; it runs as `it.fails` until fixed. */
  bug?: string
}

let n = 0
/** A password of its own per case, long enough to pass the rules, so an echo is unmistakable. */
const pw = () => `Zq9-${++n}-${Math.random().toString(36).slice(2, 10)}-kept-secret`
const hostileEmail = () => uniqueEmail('hostile')

// Tags and attributes the app's own pages use: anything else in an answer was injected.
const AUTHORED_TAGS = new Set(
  'html head meta title link script body header a img main section h1 h2 p form div label input button span ul li strong small dl dt dd time'.split(
    ' ',
  ),
)
const OWN_SCRIPTS = [
  '<script src="/js/htmx.min.js" defer=""></script>',
  '<script src="/js/app.js" defer=""></script>',
  '<script src="/js/passkeys.js" defer=""></script>',
]

function assertClean(html: string, c: Case) {
  for (const [, tag, attrs] of html.matchAll(/<\/?([a-zA-Z][a-zA-Z0-9-]*)([^>]*)>/g)) {
    expect(AUTHORED_TAGS, `tag <${tag}> in ${c.label}`).toContain(tag!.toLowerCase())
    for (const [, name] of attrs!.matchAll(/\s([^\s=/>]+)(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s>]+))?/g))
      expect(name!.toLowerCase().startsWith('on'), `attribute ${name} in ${c.label}`).toBe(false)
  }
  expect(OWN_SCRIPTS.reduce((rest, own) => rest.replaceAll(own, ''), html)).not.toMatch(/<script/i)
  for (const value of c.sent ?? []) {
    if (value.length >= 3 && /[<>"']/.test(value)) expect(html).not.toContain(value)
  }
  if (c.password) {
    expect(html).not.toContain(c.password)
    expect(html).not.toContain(escapeHtml(c.password))
  }
  for (const leak of ['sqlState', 'DatabaseError', '\n    at ', 'errno'])
    expect(html).not.toContain(leak)
}

/** Lone surrogates replaced by U+FFFD, as a UTF-8 encoder (and URLSearchParams) does. */
const wellFormed = (text: string) => new TextDecoder().decode(new TextEncoder().encode(text))

function signupCase(
  label: string,
  fields: { username?: string; email?: string; password?: string },
  status: number,
): Case {
  const body = { username: 'Ada', email: hostileEmail(), password: pw(), ...fields }
  // URLSearchParams sends a lone surrogate as U+FFFD, which is what the row then holds.
  const stored =
    status === 303
      ? {
          email: wellFormed(body.email).trim().normalize('NFC').toLowerCase(),
          username: wellFormed(body.username).trim().normalize('NFC'),
        }
      : undefined
  return {
    label: `signup: ${label}`,
    run: () => post('/signup', body),
    status: [status],
    sent: [body.username, body.email],
    password: body.password.length >= 6 ? body.password : undefined,
    stored,
  }
}

function loginCase(label: string, fields: { email?: string; password?: string }, status: number[]) {
  const body = { email: hostileEmail(), password: pw(), ...fields }
  return {
    label: `login: ${label}`,
    run: () => post('/login', body),
    status,
    sent: [body.email],
    password: body.password.length >= 6 ? body.password : undefined,
  } satisfies Case
}

function rawCase(
  label: string,
  path: string,
  body: BodyInit,
  status: number[],
  opts: NonNullable<Parameters<typeof postRaw>[2]> & {
    sent?: string[]
    password?: string
    bug?: string
  } = {},
): Case {
  return {
    label: `raw ${path}: ${label}`,
    run: () => postRaw(path, body, opts),
    status,
    sent: opts.sent,
    password: opts.password,
    bug: opts.bug,
  }
}

function getCase(
  label: string,
  path: string,
  status: number[],
  headers: Record<string, string> = {},
  sent: string[] = [],
): Case {
  return { label: `GET ${label}`, run: () => get(path, { headers }), status, sent }
}

// BUG (src/routes/auth.tsx, POST /signup and /login): `await c.req.parseBody()` rejects with a
// TypeError on a multipart body the runtime cannot parse (no boundary, boundary never present, body
// cut off); onError (src/errors.tsx) treats it as unknown and answers 500 "Something went wrong",
// logging unhandled_error. A malformed body is the client's fault: expected 400 "Bad request".

const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString()
const SCRIPT = '<script>alert(1)</script>'

// One account the login attacks aim at, with a password of exactly 72 bytes.
const victim = { email: hostileEmail(), password: `${'p'.repeat(60)}-victim-pw72` }

const CASES: Case[] = [
  // SQL injection: stored verbatim by parameterised statements, never interpreted.
  ...[
    "' OR '1'='1",
    "'; DROP TABLE users; --",
    '" OR ""="',
    "admin'--",
    '1; SELECT SLEEP(5)',
    "\\'; --",
    'UNION SELECT pass_word FROM users',
    "Robert'); DROP TABLE users;--",
    '(errno 1062) Duplicate entry',
    '%27 OR 1=1 %00',
    '`id`=`id`',
    "0x27 or sleep(1)='",
  ].map((username) => signupCase(`SQL in username ${username}`, { username }, 303)),
  signupCase('SQL in email local part', { email: `x'--${hostileEmail()}` }, 303),
  signupCase("SQL in email with spaces: ' or 1=1 --", { email: "' or 1=1 --@example.com" }, 422),
  signupCase('SQL in email domain', { email: "a@b.c'; drop table users;--" }, 422),
  signupCase('SQL in password', { password: "' OR '1'='1' -- long enough to pass" }, 303),
  // Script injection reflected by a refused form.
  ...[
    SCRIPT,
    '"><script>alert(1)</script>',
    "' onmouseover='alert(1)",
    '" onfocus="alert(1)" autofocus="',
    '</h1><img src=x onerror=alert(1)>',
    '<svg/onload=alert(1)>',
    '<iframe src="javascript:alert(1)">',
    '</textarea><script>alert(1)</script>',
    '<!--',
    ']]><script>alert(1)</script>',
  ].map((username) =>
    signupCase(
      `script in username, refused for its email: ${username}`,
      { username, email: 'no' },
      422,
    ),
  ),
  signupCase('script as the email', { email: SCRIPT }, 422),
  signupCase('attribute breakout in email', { email: '"><svg onload=alert(1)>@x.io' }, 422),
  signupCase(
    'script in the password of a refused form',
    { email: 'no', password: `${SCRIPT}-long-enough` },
    422,
  ),
  // Oversized fields within the 8 KiB cap.
  signupCase('username of 65 characters', { username: 'a'.repeat(65) }, 422),
  signupCase('username of 64 emoji (256 bytes)', { username: '🦄'.repeat(64) }, 303),
  signupCase('email of 255 characters', { email: `${'e'.repeat(243)}@example.com` }, 422),
  signupCase('password of 7,000 characters', { password: 'x'.repeat(7000) }, 422),
  // Control and invisible characters.
  signupCase('NUL in username', { username: 'Ada\u0000' }, 422),
  signupCase('BEL in username', { username: 'Ada\u0007' }, 422),
  signupCase('ANSI escape in username', { username: 'Ada\u001b[31mred' }, 422),
  signupCase('CRLF header injection in username', { username: 'A\r\nSet-Cookie: x=1' }, 422),
  signupCase('right-to-left override in username', { username: '\u202eAda' }, 422),
  signupCase('zero-width space in username', { username: 'A\u200bda' }, 422),
  signupCase('byte-order mark inside username', { username: 'A\ufeffda' }, 422),
  signupCase('line separator in username', { username: 'A\u2028da' }, 422),
  signupCase('tabs and newlines around username (trimmed)', { username: '\t Ada \n' }, 303),
  signupCase('NUL in email', { email: `a\u0000${hostileEmail()}` }, 422),
  signupCase('NUL in password', { password: `pass\u0000word-long-enough` }, 303),
  signupCase('DEL and C1 controls in username', { username: 'A\u007f\u0085da' }, 422),
  signupCase('whitespace-only username', { username: ' \u3000 ' }, 422),
  signupCase('empty everything', { username: '', email: '', password: '' }, 422),
  // Lone surrogates through URLSearchParams (which sends U+FFFD for them).
  signupCase('lone high surrogate in username', { username: 'Ada\ud800' }, 303),
  signupCase('lone low surrogate in password', { password: `\udc00${pw()}` }, 303),
  signupCase('lone surrogate in email', { email: `a\ud800${hostileEmail()}` }, 422),
  // The HTML standard's address refuses what could read as a link in a message (issue 16).
  signupCase('a URL as email', { email: 'https://evil.example/forgot?x@evil.co' }, 422),
  signupCase('a colon before the @', { email: `x:${hostileEmail()}` }, 422),
  // 72/73-byte passwords: refused past bcrypt's 72 bytes, never truncated.
  signupCase('password of 72 ASCII bytes', { password: 'a1'.repeat(36) }, 303),
  signupCase('password of 73 ASCII bytes', { password: `${'a1'.repeat(36)}b` }, 422),
  signupCase('password of 24 euro signs (72 bytes)', { password: '€'.repeat(24) }, 303),
  signupCase(
    'password of 24 euro signs and a letter (73 bytes)',
    { password: `${'€'.repeat(24)}a` },
    422,
  ),
  signupCase('password of 18 emoji (72 bytes)', { password: '🔑'.repeat(18) }, 303),
  signupCase(
    'password of 18 emoji and a letter (73 bytes)',
    { password: `${'🔑'.repeat(18)}a` },
    422,
  ),
  // Emoji and right-to-left text are names like any other.
  signupCase('emoji username', { username: '🦄 Ada 🌈' }, 303),
  signupCase('Arabic username', { username: 'مرحبا بالعالم' }, 303),
  signupCase('Hebrew username', { username: 'שלום עולם' }, 303),
  signupCase('combining marks (Zalgo)', { username: 'Z̷̧a̴l̸g̵o' }, 303),
  signupCase('decomposed é stored composed', { username: 'Ame\u0301lie' }, 303),
  signupCase('CJK username', { username: '山田太郎' }, 303),
  signupCase('upper-case unicode email', { email: `ÉMILE-${hostileEmail().toUpperCase()}` }, 303),
  signupCase('emoji ZWJ sequence (joiners between visible characters)', { username: '👩‍💻' }, 303),
  // Login attacks.
  loginCase("SQL tautology as email: ' OR 1=1 --", { email: "' OR 1=1 --" }, [400]),
  loginCase("SQL comment in email: admin'--", { email: `${victim.email}'--` }, [400]),
  loginCase(
    'SQL tautology as password of a real account',
    { email: victim.email, password: "' OR '1'='1" },
    [400],
  ),
  loginCase(
    'UNION as password of a real account',
    { email: victim.email, password: "x' UNION SELECT 1 --" },
    [400],
  ),
  loginCase(
    '72-byte password plus one byte (no truncation)',
    { email: victim.email, password: `${victim.password}x` },
    [400],
  ),
  loginCase(
    'victim password with a trailing NUL',
    { email: victim.email, password: `${victim.password}\u0000` },
    [400],
  ),
  loginCase('script as email', { email: SCRIPT }, [400]),
  loginCase('attribute breakout as email', { email: '"><img src=x onerror=alert(1)>' }, [400]),
  loginCase('whitespace-only email', { email: ' \t ' }, [422]),
  loginCase('empty password', { password: '' }, [422]),
  loginCase('email of 255 characters', { email: `${'e'.repeat(243)}@example.com` }, [422]),
  loginCase('password of 7,000 characters', { password: 'y'.repeat(7000) }, [400]),
  loginCase('NUL in email', { email: `\u0000${hostileEmail()}` }, [400]),
  loginCase('lone surrogate in password', { password: `\ud800${pw()}` }, [400]),
  loginCase('emoji email', { email: '🦄@🌈.example' }, [400]),
  loginCase('right-to-left email', { email: 'مرحبا@مثال.إختبار' }, [400]),
  // Raw bodies: encodings, duplicates and sizes as an attacker sends them.
  rawCase(
    'lone surrogate bytes %ED%A0%80 in every field',
    '/signup',
    `username=Ada%ED%A0%80&email=a%ED%A0%80${encodeURIComponent(hostileEmail())}&password=${encodeURIComponent(pw())}%ED%A0%80`,
    [303, 422],
  ),
  rawCase(
    'lone surrogate bytes in a login',
    '/login',
    `email=%ED%A0%80&password=%ED%B0%80${encodeURIComponent(pw())}`,
    [400],
  ),
  rawCase(
    'truncated UTF-8 %E0%A4%A in email',
    '/signup',
    `username=x&email=%E0%A4%A&password=${encodeURIComponent(pw())}`,
    [422],
  ),
  rawCase('malformed percent-encoding everywhere', '/login', 'email=%&password=%zz%', [400, 422]),
  rawCase('percent at the very end', '/signup', 'username=%&email=%', [422]),
  rawCase(
    'overlong UTF-8 for / (%C0%AF)',
    '/login',
    `email=%C0%AF%C0%AF&password=${encodeURIComponent(pw())}`,
    [400],
  ),
  rawCase(
    'duplicated email fields',
    '/signup',
    `username=Ada&email=${encodeURIComponent(hostileEmail())}&email=${encodeURIComponent(hostileEmail())}&password=${encodeURIComponent(pw())}`,
    // Two values for one field are ambiguous: refused, never guessed.
    [422],
  ),
  rawCase(
    'duplicated password fields on login',
    '/login',
    `email=${encodeURIComponent(victim.email)}&password=a&password=${encodeURIComponent(victim.password)}&password=b`,
    [422],
  ),
  rawCase(
    'array-style field names',
    '/signup',
    `username[]=Ada&email[]=${encodeURIComponent(hostileEmail())}&password[]=x`,
    [422],
  ),
  rawCase(
    'prototype pollution keys',
    '/signup',
    `__proto__=x&constructor=y&toString=z&__proto__[email]=a@b.io&username=Ada&email=${encodeURIComponent(hostileEmail())}&password=${encodeURIComponent(pw())}`,
    [303],
  ),
  rawCase('key without value and value without key', '/login', '=x&email&password', [422]),
  rawCase('semicolon separators', '/login', 'email=a@b.io;password=secret-secret-secret', [422]),
  rawCase('plus signs and spaces', '/login', 'email=a+b@c.io&password=with+spaces+in+it', [400]),
  rawCase('thousand empty fields', '/login', '&'.repeat(1000), [422]),
  rawCase(
    '8,192-byte body (at the cap)',
    '/signup',
    (() => {
      const start = `email=no&password=x&username=`
      return start + 'u'.repeat(8192 - start.length)
    })(),
    [422],
  ),
  rawCase(
    '8,193-byte body (over the cap)',
    '/signup',
    (() => {
      const start = `email=no&password=x&username=`
      return start + 'u'.repeat(8193 - start.length)
    })(),
    [413],
  ),
  rawCase('64 KiB password', '/login', `email=a@b.io&password=${'p'.repeat(65536)}`, [413]),
  rawCase(
    'streamed 9 KiB body without Content-Length',
    '/login',
    new ReadableStream({
      start(controller) {
        for (let i = 0; i < 9; i++) controller.enqueue(new TextEncoder().encode('x'.repeat(1024)))
        controller.close()
      },
    }),
    [413],
  ),
  rawCase(
    'multipart form',
    '/signup',
    (() => {
      const f = new FormData()
      f.set('username', SCRIPT)
      f.set('email', 'no')
      f.set('password', 'x')
      return f
    })(),
    [422],
    { contentType: null, sent: [SCRIPT] },
  ),
  rawCase(
    'multipart with a file as the email',
    '/login',
    (() => {
      const f = new FormData()
      f.set('email', new File(['a@b.io'], 'email.txt'))
      f.set('password', 'x')
      return f
    })(),
    [422],
    { contentType: null },
  ),
  rawCase(
    'multipart with a 20 KiB file',
    '/signup',
    (() => {
      const f = new FormData()
      f.set('username', new File(['z'.repeat(20_000)], 'big.bin'))
      return f
    })(),
    [413],
    { contentType: null },
  ),
  rawCase('multipart type without a boundary', '/login', 'email=a@b.io&password=x', [400], {
    contentType: 'multipart/form-data',
  }),
  rawCase('multipart with a boundary that never appears', '/login', 'garbage\r\n--nope--', [400], {
    contentType: 'multipart/form-data; boundary=XYZ',
  }),
  rawCase(
    'multipart cut off mid-part',
    '/login',
    '--B\r\nContent-Disposition: form-data; name="email"\r\n\r\na@b',
    [400],
    { contentType: 'multipart/form-data; boundary=B' },
  ),
  rawCase(
    'upper-case form content type',
    '/login',
    `email=a@b.io&password=${encodeURIComponent(pw())}`,
    [400],
    { contentType: 'APPLICATION/X-WWW-FORM-URLENCODED; charset=UTF-8' },
  ),
  // Content types the forms never send: 415 before anything is read.
  ...[
    'application/json',
    'text/plain',
    'text/html',
    'application/xml',
    'multipart/mixed; boundary=x',
    'application/x-www-form-urlencoded-evil',
    'application/octet-stream',
  ].map((type) =>
    rawCase(`content type ${type}`, '/signup', '{"username":"x"}', [415], { contentType: type }),
  ),
  rawCase('no content type at all', '/login', 'email=a@b.io&password=x', [415], {
    contentType: null,
  }),
  rawCase('JSON logout', '/logout', '{}', [415], { contentType: 'application/json' }),
  // Origins: only this site may post.
  rawCase(
    'missing Origin',
    '/signup',
    form({ username: 'x', email: 'a@b.io', password: 'x' }),
    [403],
    { headers: { Origin: '' } },
  ),
  rawCase('foreign Origin', '/login', 'email=a@b.io&password=x', [403], {
    headers: { Origin: 'https://evil.example' },
  }),
  rawCase('Origin null', '/login', 'email=a@b.io&password=x', [403], {
    headers: { Origin: 'null' },
  }),
  rawCase('look-alike Origin', '/login', 'email=a@b.io&password=x', [403], {
    headers: { Origin: 'https://edge-auth.test.evil.example' },
  }),
  rawCase('Origin over plain http', '/login', 'email=a@b.io&password=x', [403], {
    headers: { Origin: 'http://edge-auth.test' },
  }),
  rawCase('cross-site logout post', '/logout', '', [403], {
    headers: { Origin: 'https://evil.example' },
  }),
  // Logout with odd bodies and cookies.
  rawCase(
    'logout with junk fields',
    '/logout',
    `a=${encodeURIComponent(SCRIPT)}&b=%ED%A0%80`,
    [303],
    { sent: [SCRIPT] },
  ),
  rawCase('logout with a forged session cookie', '/logout', '', [303], {
    cookie: `${SESSION}=Fe26.2**forged*cookie`,
  }),
  rawCase('logout with malformed percent in the cookie', '/logout', '', [303], {
    cookie: `${SESSION}=%E0%A4%A`,
  }),
  // Methods the routes do not take.
  rawCase('PUT /signup', '/signup', 'username=x', [404], { method: 'PUT' }),
  rawCase('DELETE /logout', '/logout', '', [404], { method: 'DELETE' }),
  rawCase('PATCH /login', '/login', 'email=x', [404], { method: 'PATCH' }),
  // Pages with odd query strings, paths and headers.
  getCase('/ with a script in the query', `/?${SCRIPT}`, [200], {}, [SCRIPT]),
  getCase(
    '/signup with a breakout in the query',
    `/signup?email="><script>alert(1)</script>`,
    [200],
  ),
  getCase('/welcome with NUL in the query', '/welcome?x=%00', [303]),
  getCase('/login with an open-redirect parameter', '/login?next=//evil.example', [303]),
  getCase('/logout with a script in the query', `/logout?${encodeURIComponent(SCRIPT)}`, [200]),
  getCase('/ with malformed percent-encoding', '/?%E0%A4%A&%', [200]),
  getCase('path traversal', '/%2e%2e/%2e%2e/etc/passwd', [404]),
  getCase('script in the path', `/${encodeURIComponent(SCRIPT)}`, [404], {}, [SCRIPT]),
  getCase('encoded NUL in the path', '/welcome%00', [404]),
  getCase('very long path', `/${'a'.repeat(4000)}`, [404]),
  getCase('htmx partial with a hostile HX-Request-Type', '/signup', [200], {
    'HX-Request': 'true',
    'HX-Request-Type': '<script>',
  }),
  getCase('HX-Current-URL javascript:', '/', [200], {
    'HX-Request': 'true',
    'HX-Current-URL': 'javascript:alert(1)',
  }),
  getCase('forged session cookie', '/welcome', [303], { Cookie: `${SESSION}=Fe26.2**forged` }),
  getCase('session cookie with malformed percent-encoding', '/welcome', [303], {
    Cookie: `${SESSION}=%E0%A4%A`,
  }),
  getCase('4 KiB session cookie', '/welcome', [303], { Cookie: `${SESSION}=${'A'.repeat(4096)}` }),
  getCase(
    'flash cookie carrying a script email',
    '/',
    [200],
    {
      Cookie: `${FLASH}=${encodeURIComponent(JSON.stringify({ notice: 'created', email: `"><script>alert(1)</script>` }))}`,
    },
    [`"><script>alert(1)</script>`],
  ),
  getCase('flash cookie that is not JSON', '/', [200], { Cookie: `${FLASH}=%7Bgarbage` }),
  getCase('flash cookie with an overlong email', '/', [200], {
    Cookie: `${FLASH}=${encodeURIComponent(JSON.stringify({ notice: 'created', email: 'e'.repeat(300) }))}`,
  }),
  getCase('flash cookie with a prototype key', '/', [200], {
    Cookie: `${FLASH}=${encodeURIComponent('{"__proto__":{"notice":"created","email":"x"}}')}`,
  }),
  getCase('hostile CF-Connecting-IP', '/', [200], { 'CF-Connecting-IP': "' or 1=1 --" }),
  getCase('hostile User-Agent', '/signup', [200], { 'User-Agent': SCRIPT }),
  getCase('hostile Accept-Language and Referer', '/', [200], {
    'Accept-Language': SCRIPT,
    Referer: 'javascript:alert(1)',
  }),
  {
    label: 'HEAD /',
    run: () => SELF.fetch(`${ORIGIN}/`, { method: 'HEAD' }),
    status: [200],
  },
  {
    label: 'OPTIONS /login',
    run: () => SELF.fetch(`${ORIGIN}/login`, { method: 'OPTIONS' }),
    status: [204, 404, 405],
  },
  // Hostile client addresses on the throttled paths.
  {
    label: 'login with a hostile CF-Connecting-IP',
    run: () =>
      post(
        '/login',
        { email: hostileEmail(), password: 'x' },
        { headers: { 'CF-Connecting-IP': "1.2.3.4'; --" } },
      ),
    status: [400],
  },
  {
    label: 'signup with a 2 KiB CF-Connecting-IP',
    run: () =>
      post(
        '/signup',
        { username: 'Ada', email: hostileEmail(), password: pw() },
        { headers: { 'CF-Connecting-IP': ':'.repeat(2048) } },
      ),
    status: [303],
  },
  {
    label: 'login with a 480-character User-Agent',
    run: () =>
      post(
        '/login',
        { email: victim.email, password: victim.password },
        {
          headers: { 'User-Agent': 'Mozilla/5.0 '.repeat(40) },
        },
      ),
    status: [303],
  },
]

// Usernames that try to break out of the welcome page's markup: stored, then shown escaped.
const BREAKOUTS = [
  '"><script>alert(1)</script>',
  "' onmouseover='alert(1)",
  '" onmouseover="alert(1)',
  '</h1><img src=x onerror=alert(1)>',
  '<svg/onload=alert(1)>',
  '&lt;script&gt;',
  '{{7*7}} ${7*7} <%= 7*7 %>',
  'javascript:alert(1)//',
  '<a href="javascript:alert(1)">x</a>',
  "<style>*{display:none}</style>'",
]

const WELCOME_CASES: Case[] = BREAKOUTS.map((username) => {
  const password = pw()
  return {
    label: `welcome shows ${username} escaped`,
    status: [200],
    sent: [username],
    password,
    run: async () => {
      const email = hostileEmail()
      await signup({ username, email, password })
      const login = await post('/login', { email, password })
      expect(login.status).toBe(303)
      const cookie = cookieFrom(login, SESSION)
      const partial = await get('/welcome', { cookie, mode: 'htmx' })
      expect(partial.status).toBe(200)
      const fragment = await partial.text()
      expect(fragment).toContain(`Welcome, ${escapeHtml(username)}</h1>`)
      assertClean(fragment, {
        label: username,
        run: () => get('/'),
        status: [200],
        sent: [username],
        password,
      })
      return get('/welcome', { cookie })
    },
    also: (html) => expect(html).toContain(`Welcome, ${escapeHtml(username)}</h1>`),
  }
})

// An accepted email that is itself markup comes back through the "account created" notice.
const FLASH_EMAIL = `a&b'{}${hostileEmail()}`
const FLASH_CASE: Case = {
  label: 'an email with markup characters, shown back after signup',
  status: [200],
  sent: [FLASH_EMAIL],
  run: async () => {
    const res = await signup({ email: FLASH_EMAIL })
    return get('/', { cookie: cookieFrom(res, FLASH) })
  },
  also: (html) => expect(html).toContain(`value="${escapeHtml(FLASH_EMAIL)}"`),
}

const ALL = [...CASES, ...WELCOME_CASES, FLASH_CASE]
const SOUND = ALL.filter((c) => !c.bug)
const statuses = new Map<number, number>()
let logs: ReturnType<typeof captureLogs>

beforeAll(async () => {
  logs = captureLogs()
  await signup({ email: victim.email, password: victim.password })
})
afterAll(() => logs.restore())

async function check(c: Case) {
  const res = await c.run()
  expect(res.status).toBeLessThan(500)
  expect(c.status, `status of ${c.label}`).toContain(res.status)
  const html = await res.text()
  assertClean(html, c)
  const headerText = [...res.headers].map(([k, v]) => `${k}: ${v}`).join('\n')
  if (c.password) expect(headerText).not.toContain(encodeURIComponent(wellFormed(c.password)))
  c.also?.(html)
  if (c.stored) {
    const [row] = await db()
      .select({ username: users.username })
      .from(users)
      .where(eq(users.email, c.stored.email))
    expect(row?.username).toBe(c.stored.username)
  }
  return res.status
}

describe('hostile inputs (issue 7)', () => {
  it(`the table holds at least 100 requests (${ALL.length})`, () => {
    expect(ALL.length).toBeGreaterThanOrEqual(100)
  })

  it.each(SOUND.map((c) => [c.label, c] as const))('%s', async (_label, c) => {
    const status = await check(c)
    statuses.set(status, (statuses.get(status) ?? 0) + 1)
  })

  it('answered every request with a success or a clean 4xx, never a 5xx', () => {
    expect([...statuses.keys()].filter((s) => s >= 500)).toEqual([])
    expect([...statuses.values()].reduce((a, b) => a + b, 0)).toBe(SOUND.length)
    // The audit and error lines the app wrote carry no password of any case.
    const written = logs.raw()
    expect(logs.lines().filter((l) => l.event === 'audit').length).toBeGreaterThan(50)
    for (const c of ALL) if (c.password) expect(written).not.toContain(c.password)
    expect(written).not.toContain('"level":"error"')
  })
})
