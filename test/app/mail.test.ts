import { describe, expect, it } from 'vitest'
import { callApp, captureLogs, post, signup, uniqueAddress, uniqueEmail } from './helpers'
import { sentTo, settledCount, waitForMail } from './mail-outbox'

describe('every message', () => {
  it('is an RFC 5322 message from MAIL_FROM, naming APP_NAME, with a text and an HTML part', async () => {
    const email = uniqueEmail()
    await signup({ email })
    await post('/forgot', { email })
    const mail = await waitForMail(email, 'Reset your')
    expect(mail.from).toBe('no-reply@edge-auth.test')
    expect(mail.headers.from).toBe('"edge-auth" <no-reply@edge-auth.test>')
    expect(mail.to).toBe(email)
    expect(mail.subject).toBe('Reset your edge-auth password')
    expect(mail.headers['message-id']).toMatch(/^<[0-9a-f]{32}@edge-auth\.test>$/)
    expect(mail.headers.date).toMatch(/^\w{3}, \d{2} \w{3} \d{4} \d{2}:\d{2}:\d{2} \+0000$/)
    expect(mail.headers['mime-version']).toBe('1.0')
    expect(mail.headers['content-type']).toMatch(/^multipart\/alternative; boundary=/)
    expect(mail.headers['auto-submitted']).toBe('auto-generated')
    expect(mail.link).toMatch(/^https:\/\/edge-auth\.test\/reset\/[a-z2-7]{32}$/)
    expect(mail.text).toContain('expires in 30 minutes')
    expect(mail.text).toContain('-- edge-auth')
    expect(mail.html).toContain(`href="${mail.link}"`)
    expect(mail.html).toContain('<p style="color: #57606a">edge-auth</p>')
  })

  it('encodes a non-ASCII APP_NAME (RFC 2047) and escapes it in HTML', async () => {
    const email = uniqueEmail()
    await signup({ email })
    const app = 'Ünïcode <Apps> & Co'
    const res = await callApp(
      '/forgot',
      { APP_NAME: app, RESET_TOKEN_MINUTES: '15' },
      { method: 'POST', body: new URLSearchParams({ email }) },
    )
    expect(res.status).toBe(303)
    const mail = await waitForMail(email, 'Reset your')
    expect(mail.subject).toBe(`Reset your ${app} password`)
    expect(mail.headers.from).toMatch(/^=\?UTF-8\?B\?/)
    expect(mail.html).toContain('Ünïcode &lt;Apps&gt; &amp; Co')
    expect(mail.text).toContain('expires in 15 minutes')
  })
})

describe('mail limits (answered like success)', () => {
  it('sends at most 3 messages an hour to one address because of one client, at most 12 in all', async () => {
    const email = uniqueEmail()
    await signup({ email })
    const answers = []
    const one = { headers: { 'CF-Connecting-IP': uniqueAddress() } }
    for (let i = 0; i < 4; i++) {
      const res = await post('/forgot', { email }, one)
      answers.push([res.status, res.headers.get('Location'), await res.text()])
    }
    expect(new Set(answers.map((a) => JSON.stringify(a))).size).toBe(1)
    await waitForMail(email, 'Reset your', 3, 15_000)
    expect(await settledCount(email)).toBe(3)
    // Other clients still reach the owner, up to the recipient's 12 an hour in all (every message
    // to the address counts, the signup's confirmation link included when one was sent).
    for (let i = 0; i < 14; i++) {
      await post('/forgot', { email }, { headers: { 'CF-Connecting-IP': uniqueAddress() } })
    }
    await waitForMail(email, 'Reset your', 8, 15_000)
    const total = await settledCount(email, 2000)
    expect(total).toBeGreaterThanOrEqual(9)
    expect(total).toBeLessThanOrEqual(12)
  })

  it('requests sent together all send (their secrets do not deadlock)', async () => {
    const emails = Array.from({ length: 3 }, () => uniqueEmail('together'))
    for (const email of emails) await signup({ email })
    const logs = captureLogs()
    const together = emails.flatMap((email) =>
      Array.from({ length: 8 }, () =>
        post('/forgot', { email }, { headers: { 'CF-Connecting-IP': uniqueAddress() } }),
      ),
    )
    expect((await Promise.all(together)).map((r) => r.status)).toEqual(Array(24).fill(303))
    for (const email of emails) await waitForMail(email, 'Reset your', 8, 15_000)
    expect(logs.lines().filter((l) => l.event === 'mail_job_failed')).toEqual([])
  })

  it('sends at most 10 messages an hour because of one client', async () => {
    const emails = Array.from({ length: 11 }, () => uniqueEmail('client'))
    for (const email of emails) await signup({ email })
    const headers = { 'CF-Connecting-IP': uniqueAddress() }
    const statuses = []
    for (const email of emails)
      statuses.push((await post('/forgot', { email }, { headers })).status)
    expect(statuses).toEqual(Array(11).fill(303))
    // The jobs run after their answers, in any order: which one was refused may vary.
    const counts = () => Promise.all(emails.map(async (e) => (await sentTo(e)).length))
    const deadline = Date.now() + 5000
    while ((await counts()).reduce((a, b) => a + b, 0) < 10 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50))
    }
    await settledCount(emails[0]!)
    expect((await counts()).sort()).toEqual([0, ...Array(10).fill(1)])
  })
})
