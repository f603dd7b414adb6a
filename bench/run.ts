// npm run bench: runs every benchmark in this directory and prints its report.
import { benchGateway } from './gateway'

const started = performance.now()
try {
  const lines = await benchGateway()
  console.log(lines.join('\n'))
  console.log(`(bench finished in ${((performance.now() - started) / 1000).toFixed(1)} s)`)
} catch (err) {
  console.error(err)
  process.exitCode = 1
}
