import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { beforeEach } from 'vitest'
import { unansweredRequests } from './browser'

// A browser test that fails on a timeout says nothing of where the time went. This prints what
// the browser was still waiting for and what wrangler logged meanwhile (request lines with their
// durations, errors), so a failure seen once in CI can be read rather than guessed at.
const LOG = fileURLToPath(new URL('../../.data/browser-worker.log', import.meta.url))
const LINES = 60

function workerLogSince(start: number): string[] {
  let text: string
  try {
    text = readFileSync(LOG, 'utf8')
  } catch {
    return ['(no worker log)']
  }
  const since = text.split('\n').filter((line) => Date.parse(line.slice(0, 24)) >= start)
  return since.slice(-LINES)
}

beforeEach(({ onTestFailed }) => {
  const start = Date.now() - 1000
  onTestFailed(() => {
    const waiting = unansweredRequests()
    console.error(
      [
        'browser requests still unanswered:',
        ...(waiting.length ? waiting : ['(none)']),
        `worker log since the test began (last ${LINES} lines):`,
        ...workerLogSince(start),
      ].join('\n  '),
    )
  })
})
