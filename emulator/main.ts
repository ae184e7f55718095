import {readFileSync} from 'node:fs'
import {parseArgs} from 'node:util'

import {applyKnobsPatch, checkAccountReferences, ConfigError, DEMO_ACCOUNT, defaultKnobs, normalizeAccounts} from './config.js'
import type {AccountInput, KnobsPatch} from './config.js'
import {LOOPBACK_HOSTS, startEmulator} from './index.js'
import type {LoopbackHost} from './index.js'

const USAGE = `Usage: node --import tsx emulator/main.ts [options]

A local Dify server for difyctl: device flow, sessions and the approval page at /device.
Prints {"url":"http://127.0.0.1:<port>"} on stdout when ready; serves until SIGTERM or SIGINT.

Options:
  --port <n>                   port to listen on (default 0: a free port)
  --host <127.0.0.1|::1>       loopback address to bind (default 127.0.0.1)
  --config <file.json>         knobs (protocol §12.2) and "accounts"
  --auto-approve <after_polls> approve every code as the demo account before its N-th poll
  --auto-deny <after_polls>    deny every code before its N-th poll
  --interval <s>               polling interval and slow_down threshold (default 5)
  --expires-in <s>             device-code lifetime (default 900)
  --token-ttl <s>              token lifetime (default 1209600)
  --seed <text>                deterministic codes, tokens and ids
  --min-client-version <v>     turn on the version gate (e.g. 0.2.0)
  --verification-base <url>    origin for verification_uri
  --verbose                    one stderr line per request (never tokens)
  -h, --help                   show this help
`

class UsageError extends Error {}

function integer(name: string, text: string | undefined, min: number): number | undefined {
  if (text === undefined) return undefined
  if (!/^\d+$/.test(text) || Number(text) < min) throw new UsageError(`--${name} needs an integer >= ${min}, got "${text}"`)
  return Number(text)
}

interface Plan {
  port: number
  host: LoopbackHost
  config: KnobsPatch
  accounts?: AccountInput[]
  verbose: boolean
}

function plan(argv: string[]): Plan | 'help' {
  let parsed
  try {
    parsed = parseArgs({
      args: argv,
      options: {
        'auto-approve': {type: 'string'},
        'auto-deny': {type: 'string'},
        config: {type: 'string'},
        'expires-in': {type: 'string'},
        help: {short: 'h', type: 'boolean'},
        host: {type: 'string'},
        interval: {type: 'string'},
        'min-client-version': {type: 'string'},
        port: {type: 'string'},
        seed: {type: 'string'},
        'token-ttl': {type: 'string'},
        'verification-base': {type: 'string'},
        verbose: {type: 'boolean'},
      },
      strict: true,
    })
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error))
  }

  const {values} = parsed
  if (values.help) return 'help'
  const host = values.host ?? '127.0.0.1'
  if (!LOOPBACK_HOSTS.includes(host)) {
    throw new UsageError(`--host ${host} refused: the emulator binds loopback only (127.0.0.1 or ::1)`)
  }

  let config: KnobsPatch = {}
  let accounts: AccountInput[] | undefined
  if (values.config !== undefined) {
    let file: unknown
    try {
      file = JSON.parse(readFileSync(values.config, 'utf8'))
    } catch (error) {
      throw new UsageError(`cannot read --config ${values.config}: ${error instanceof Error ? error.message : String(error)}`)
    }

    if (typeof file !== 'object' || file === null || Array.isArray(file)) throw new UsageError(`--config ${values.config} must hold a JSON object`)
    const {accounts: fileAccounts, ...knobs} = file as Record<string, unknown>
    if (fileAccounts !== undefined) accounts = fileAccounts as AccountInput[]
    config = knobs as KnobsPatch
  }

  const interval = integer('interval', values.interval, 0)
  if (interval !== undefined) config.interval_s = interval
  const expires = integer('expires-in', values['expires-in'], 1)
  if (expires !== undefined) config.expires_in_s = expires
  const ttl = integer('token-ttl', values['token-ttl'], 1)
  if (ttl !== undefined) config.token_ttl_s = ttl
  if (values.seed !== undefined) config.seed = values.seed
  if (values['min-client-version'] !== undefined) config.min_client_version = values['min-client-version']
  if (values['verification-base'] !== undefined) config.verification_base = values['verification-base']
  const approveAfter = integer('auto-approve', values['auto-approve'], 0)
  const denyAfter = integer('auto-deny', values['auto-deny'], 0)
  if (approveAfter !== undefined && denyAfter !== undefined) throw new UsageError('--auto-approve and --auto-deny exclude each other')
  if (denyAfter !== undefined) config.auto_decide = {action: 'deny', after_polls: denyAfter}
  if (approveAfter !== undefined) {
    // Resolve the demo account now, so the knob reads as the spec writes it.
    const known = accounts ? normalizeAccounts(accounts) : [DEMO_ACCOUNT]
    const demo = (config.demo_account && known.find((a) => a.email.toLowerCase() === config.demo_account?.toLowerCase())) || known[0]
    config.auto_decide = {account: demo.email, action: 'approve', after_polls: approveAfter}
  }

  // Validate before binding, so a bad file is a usage error rather than a crash.
  checkAccountReferences(applyKnobsPatch(defaultKnobs(), config), accounts ? normalizeAccounts(accounts) : [DEMO_ACCOUNT])
  const port = integer('port', values.port, 0) ?? 0
  if (port > 65_535) throw new UsageError('--port must be at most 65535')
  return {accounts, config, host: host as LoopbackHost, port, verbose: values.verbose ?? false}
}

async function main(): Promise<number> {
  let chosen: Plan | 'help'
  try {
    chosen = plan(process.argv.slice(2))
  } catch (error) {
    if (error instanceof UsageError || error instanceof ConfigError) {
      process.stderr.write(`emulator: ${error.message}\n\n${USAGE}`)
      return 2
    }

    throw error
  }

  if (chosen === 'help') {
    process.stdout.write(USAGE)
    return 0
  }

  const logger = (line: string): void => {
    process.stderr.write(`emulator: ${line}\n`)
  }

  // Handlers go in before the URL line: a supervisor may signal the moment it reads it.
  const stopped = new Promise<void>((resolve) => {
    const stop = (): void => {
      process.off('SIGTERM', stop)
      process.off('SIGINT', stop)
      resolve()
    }

    process.on('SIGTERM', stop)
    process.on('SIGINT', stop)
  })
  const emulator = await startEmulator({...chosen, logger})
  process.stdout.write(`${JSON.stringify({url: emulator.url})}\n`)
  logger(`listening on ${emulator.url} (approval page ${emulator.url}/device)`)
  await stopped
  await emulator.close()
  return 0
}

try {
  process.exitCode = await main()
} catch (error) {
  process.stderr.write(`emulator: ${error instanceof Error ? error.message : String(error)}\n`)
  process.exitCode = 1
}
