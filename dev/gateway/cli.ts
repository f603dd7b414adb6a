// Runs the gateway alone: npm run gateway -- --mysql mysql://root@127.0.0.1:3306/edge_auth --password P
import { parseArgs } from 'node:util'
import { parseMysqlUrl } from './pool'
import { checkGatewayPassword, startGateway } from './server'

const USAGE =
  'usage: npm run gateway -- --mysql <mysql-url> [--port N] [--user U] [--password P] [--database D]\n' +
  '  --mysql     mysql://user:pass@host:port[/database] (default: $MYSQL_URL)\n' +
  '  --port      port on 127.0.0.1 (default: $GATEWAY_PORT or a free port)\n' +
  '  --user      username clients must send (default: $GATEWAY_USER or "edge")\n' +
  '  --password  password clients must send, 16+ random characters (default: $GATEWAY_PASSWORD)\n' +
  '  --database  default database (default: the mysql URL path, else "edge_auth")'

function fail(message: string): never {
  process.stderr.write(`${message}\n\n${USAGE}\n`)
  process.exit(2)
}

async function main(): Promise<void> {
  let values
  try {
    ;({ values } = parseArgs({
      options: {
        mysql: { type: 'string' },
        port: { type: 'string' },
        user: { type: 'string' },
        password: { type: 'string' },
        database: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }))
  } catch (err) {
    fail((err as Error).message)
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`)
    return
  }
  const mysqlUrl = values.mysql ?? process.env.MYSQL_URL
  if (!mysqlUrl) fail('missing --mysql (or MYSQL_URL)')
  const password = values.password ?? process.env.GATEWAY_PASSWORD
  // No default password: one printed to the terminal would end up in logs and scrollback.
  if (password === undefined) fail('missing --password (or GATEWAY_PASSWORD)')
  try {
    checkGatewayPassword(password)
  } catch (err) {
    fail((err as Error).message)
  }
  const portText = values.port ?? process.env.GATEWAY_PORT ?? '0'
  const port = Number(portText)
  if (!Number.isInteger(port) || port < 0 || port > 65535) fail(`invalid --port ${portText}`)
  let urlDatabase: string | undefined
  try {
    urlDatabase = parseMysqlUrl(mysqlUrl).database
  } catch (err) {
    fail(`invalid --mysql: ${(err as Error).message}`)
  }

  const gateway = await startGateway({
    mysqlUrl,
    user: values.user ?? process.env.GATEWAY_USER ?? 'edge',
    password,
    database: values.database ?? urlDatabase ?? 'edge_auth',
    port,
    log: (line) => process.stderr.write(`${line}\n`),
  })
  process.stdout.write(`gateway listening on ${gateway.url}\n`)

  let stopping = false
  const stop = (signal: string): void => {
    if (stopping) return
    stopping = true
    process.stderr.write(`gateway: ${signal}, shutting down\n`)
    gateway.close().then(
      () => process.exit(0),
      (err: unknown) => {
        process.stderr.write(`gateway: shutdown failed: ${String(err)}\n`)
        process.exit(1)
      },
    )
  }
  process.on('SIGINT', () => stop('SIGINT'))
  process.on('SIGTERM', () => stop('SIGTERM'))
}

main().catch((err: unknown) => {
  process.stderr.write(`gateway: ${err instanceof Error ? err.message : String(err)}\n`)
  process.exit(1)
})
