/**
 * `npm run bench`: start-up and flow figures of the built CLI, with the two floors measured in the
 * same run so that the figures are comparable across machines as ratios. See docs/performance.md.
 *
 * Options (environment): BENCH_RUNS (measured rounds, default 15), BENCH_WARMUP (default 2),
 * BENCH_REVOKE_RUNS (default 3), BENCH_OUT (JSON path, default test-output/bench.json).
 */
import {subscribe} from 'node:diagnostics_channel'
import {existsSync, mkdirSync, readdirSync, statSync, writeFileSync} from 'node:fs'
import type {IncomingMessage, ServerResponse} from 'node:http'
import {cpus} from 'node:os'
import path from 'node:path'

import {BIN, cliEnv, ROOT} from '../../test/support/cli.js'
import {startTestEmulator, type TestEmulator} from '../../test/support/emulator.js'
import {hasGnuTime, median, quantile, run, runForRss, type Spawned, type SpawnSpec} from './measure.js'
import {createReferenceCli} from './reference-cli.js'
import {type Figure, printReport, type Report, type Target} from './report.js'
import {benchDirs, seedLocalContexts, stateIn} from './state.js'

const RUNS = positiveInt('BENCH_RUNS', 15)
const WARMUP = positiveInt('BENCH_WARMUP', 2)
const REVOKE_RUNS = positiveInt('BENCH_REVOKE_RUNS', 3)
const OUT = path.resolve(ROOT, process.env.BENCH_OUT ?? 'test-output/bench.json')
const CONTEXTS = 1000
const LISTED_SESSIONS = 200
const REVOKED_SESSIONS = 1000

// The project's own Node (the `node` devDependency), whatever runs this script.
const NODE = existsSync(path.join(ROOT, 'node_modules', '.bin', 'node')) ? path.join(ROOT, 'node_modules', '.bin', 'node') : process.execPath

const LISTER = 'lister@example.com'
const REVOKER = 'revoker@example.com'
const SIGNER = 'signer@example.com'
const ACCOUNTS = [LISTER, REVOKER, SIGNER].map((email) => ({email, name: email.split('@')[0], workspaces: [{current: true, name: 'Bench', role: 'owner'}]}))

function positiveInt(name: string, fallback: number): number {
  const value = process.env[name]
  if (value === undefined || value === '') return fallback
  const parsed = Number(value)
  if (!Number.isInteger(parsed) || parsed < 0) throw new Error(`${name} must be a whole number`)
  return parsed
}

/** A build older than its sources would measure yesterday's code. */
function checkBuild(): void {
  const stale: string[] = []
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, {withFileTypes: true})) {
      const full = path.join(dir, entry.name)
      if (entry.isDirectory()) walk(full)
      else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) {
        const built = path.join(ROOT, 'build', path.relative(ROOT, full)).replace(/\.ts$/, '.js')
        if (!existsSync(built) || statSync(built).mtimeMs < statSync(full).mtimeMs) stale.push(path.relative(ROOT, full))
      }
    }
  }

  walk(path.join(ROOT, 'src'))
  if (!existsSync(path.join(ROOT, 'oclif.manifest.json'))) stale.push('oclif.manifest.json (missing)')
  if (stale.length > 0) {
    process.stderr.write(`bench: the build is older than its sources (${stale.slice(0, 5).join(', ')}${stale.length > 5 ? ', …' : ''})\n`)
    process.stderr.write('hint: npx tsc -p tsconfig.json && npx oclif manifest\n')
    process.exit(1)
  }
}

interface Subject {
  name: string
  spec: SpawnSpec
  /** Throws when the run did not do what is measured (a failing command is not a figure). */
  check(result: Spawned): void
  baseline?: boolean
  /** Shown for comparison, not one of difyctl's figures. */
  reference?: boolean
}

function expectExit0(name: string, result: Spawned): void {
  if (result.code !== 0) throw new Error(`${name} exited ${result.code ?? result.signal}\nstdout: ${result.stdout.slice(0, 400)}\nstderr: ${result.stderr.slice(0, 800)}`)
}

/** Every request the in-process emulator answers, seen through Node's HTTP diagnostics channels. */
class Wire {
  inFlight = 0
  maxInFlight = 0
  tokenResponses: Array<{at: number; status: number}> = []
  deletes: Array<{start: number; end: number}> = []
  private readonly started = new WeakMap<IncomingMessage, number>()

  constructor() {
    subscribe('http.server.request.start', (message) => {
      const {request} = message as {request: IncomingMessage}
      if (!request.url?.startsWith('/openapi/')) return
      this.started.set(request, performance.now())
      if (request.method === 'DELETE') this.maxInFlight = Math.max(this.maxInFlight, ++this.inFlight)
    })
    subscribe('http.server.response.finish', (message) => {
      const {request, response} = message as {request: IncomingMessage; response: ServerResponse}
      const start = this.started.get(request)
      if (start === undefined) return
      const at = performance.now()
      if (request.method === 'DELETE') {
        this.inFlight--
        this.deletes.push({end: at, start})
      }

      if (request.method === 'POST' && request.url?.startsWith('/openapi/v1/oauth/device/token')) this.tokenResponses.push({at, status: response.statusCode})
    })
  }

  reset(): void {
    this.inFlight = 0
    this.maxInFlight = 0
    this.tokenResponses = []
    this.deletes = []
  }
}

async function main(): Promise<void> {
  checkBuild()
  const gnuTime = hasGnuTime()
  if (!gnuTime) process.stderr.write('bench: /usr/bin/time (Debian package `time`) is missing: peak RSS is not measured\n')
  const dirs = benchDirs()
  const wire = new Wire()
  let emu: TestEmulator | undefined
  try {
    const env = (extra: Record<string, string> = {}) => {
      const base = cliEnv({...dirs.xdg, ...extra})
      delete base.NODE_OPTIONS
      delete base.NODE_COMPILE_CACHE
      return base
    }

    const cli = (args: string[], extra: Record<string, string> = {}): SpawnSpec => ({args: [BIN, ...args], command: NODE, cwd: ROOT, env: env(extra)})

    progress('seeding 1,000 contexts')
    const local = stateIn(dirs, 'local')
    const {active} = await seedLocalContexts(local, CONTEXTS)

    progress('creating the reference CLI (empty oclif CLI)')
    const reference = createReferenceCli(path.join(dirs.base, 'reference-cli'), ROOT, NODE)

    progress('starting the emulator')
    emu = await startTestEmulator({accounts: ACCOUNTS})
    const emulator = emu
    const rateLimitsOff = {account: {limit: 0}, approve: {limit: 0}, device_code: {limit: 0}, lookup: {limit: 0}, per_token: {limit: 0}}
    await emu.control.patchConfig({interval_s: 1, rate_limits: rateLimitsOff})
    const login = (email: string, state: ReturnType<typeof stateIn>) =>
      emulator.control.patchConfig({auto_decide: {account: email, action: 'approve', after_polls: 0}}).then(() => ({
        ...cli(['auth', 'login', '--host', emulator.url, '--insecure', '--no-browser'], state.env),
      }))

    progress(`signing in and seeding ${LISTED_SESSIONS} sessions`)
    const listing = stateIn(dirs, 'listing')
    expectExit0('auth login', await run(await login(LISTER, listing)))
    await emu.control.seedSessions(Array.from({length: LISTED_SESSIONS - 1}, (_, index) => ({account_email: LISTER, device_label: `bench ${index}`})))
    const revoking = stateIn(dirs, 'revoking')
    expectExit0('auth login', await run(await login(REVOKER, revoking)))

    const subjects: Subject[] = [
      {baseline: true, check: (r) => expectExit0('node -e 0', r), name: 'node -e 0', spec: {args: ['-e', '0'], command: NODE, cwd: ROOT, env: env()}},
      {
        baseline: true,
        check: (r) => expectExit0('oclif import', r),
        name: "node -e \"await import('@oclif/core')\"",
        spec: {args: ['--input-type=module', '-e', "await import('@oclif/core')"], command: NODE, cwd: ROOT, env: env()},
      },
      {
        check: (r) => expectExit0('reference noop', r),
        name: 'empty oclif CLI: noop (reference)',
        reference: true,
        spec: {args: [reference, 'noop'], command: NODE, cwd: ROOT, env: env()},
      },
      {check: (r) => expectExit0('--version', r), name: 'difyctl --version', spec: cli(['--version'])},
      {check: (r) => expectExit0('--help', r), name: 'difyctl --help', spec: cli(['--help'])},
      {
        check(r) {
          expectExit0('auth whoami', r)
          if (!r.stdout.startsWith(active.email)) throw new Error(`auth whoami printed ${r.stdout}`)
        },
        name: 'auth whoami',
        spec: cli(['auth', 'whoami'], local.env),
      },
      {
        check(r) {
          expectExit0('auth list', r)
          const count = (JSON.parse(r.stdout) as {contexts: unknown[]}).contexts.length
          if (count !== CONTEXTS) throw new Error(`auth list listed ${count} contexts`)
        },
        name: `auth list -o json (${CONTEXTS.toLocaleString('en')} contexts)`,
        spec: cli(['auth', 'list', '-o', 'json'], local.env),
      },
      {
        check(r) {
          expectExit0('auth devices list', r)
          // A header line, then one row per session.
          const rows = r.stdout.trimEnd().split('\n').length - 1
          if (rows !== LISTED_SESSIONS) throw new Error(`auth devices list listed ${rows} sessions`)
        },
        name: `auth devices list --limit ${LISTED_SESSIONS}`,
        spec: cli(['auth', 'devices', 'list', '--limit', String(LISTED_SESSIONS)], listing.env),
      },
    ]

    const times = new Map<string, number[]>(subjects.map((s) => [s.name, []]))
    const rss = new Map<string, number[]>(subjects.map((s) => [s.name, []]))
    const wrapped = new Map<string, number[]>(subjects.map((s) => [s.name, []]))
    const loginAfterApproval: number[] = []
    const loginTotal: number[] = []
    const loginRss: number[] = []

    const signIn = async (measured: boolean, round: number) => {
      const state = stateIn(dirs, `login-${round}`)
      const spec = await login(SIGNER, state)
      wire.reset()
      const {kib, result} = gnuTime ? await runForRss(spec) : {kib: Number.NaN, result: await run(spec)}
      expectExit0('auth login', result)
      const approved = wire.tokenResponses.filter((r) => r.status === 200)
      if (approved.length !== 1) throw new Error(`expected one approving poll response, saw ${JSON.stringify(wire.tokenResponses)}`)
      if (measured) {
        loginAfterApproval.push(result.exitedAt - approved[0].at)
        loginTotal.push(result.ms)
        loginRss.push(kib)
      }

      state.cleanup()
    }

    const total = WARMUP + RUNS
    for (let round = 0; round < total; round++) {
      const measured = round >= WARMUP
      progress(`${measured ? 'round' : 'warm-up'} ${measured ? round - WARMUP + 1 : round + 1} of ${measured ? RUNS : WARMUP}`)
      // Rotating the order each round keeps any position effect (a cache warmed by the previous
      // subject, a timer firing) from always landing on the same subject.
      const order = subjects.map((_, index) => subjects[(index + round) % subjects.length])
      for (const subject of order) {
        const result = await run(subject.spec)
        subject.check(result)
        if (measured) times.get(subject.name)!.push(result.ms)
        if (gnuTime) {
          const sized = await runForRss(subject.spec)
          subject.check(sized.result)
          if (measured) {
            rss.get(subject.name)!.push(sized.kib)
            wrapped.get(subject.name)!.push(sized.result.ms)
          }
        }
      }

      await signIn(measured, round)
    }

    progress(`revoking ${REVOKED_SESSIONS.toLocaleString('en')} sessions, ${REVOKE_RUNS} times`)
    const revokes: Array<{ms: number; rss: number; deletePhaseMs: number}> = []
    for (let index = 0; index < REVOKE_RUNS; index++) {
      const seeded = await emu.control.seedSessions(Array.from({length: REVOKED_SESSIONS}, (_, n) => ({account_email: REVOKER, device_label: `revoke-me ${index}-${n}`})))
      wire.reset()
      const spec = cli(['auth', 'devices', 'revoke', '--all'], revoking.env)
      const {kib, result} = gnuTime ? await runForRss(spec) : {kib: Number.NaN, result: await run(spec)}
      expectExit0('auth devices revoke --all', result)
      const seededIds = new Set(seeded.map((row) => row.id))
      const left = (await emu.control.sessions()).filter((row) => seededIds.has(row.id) && row.revoked_at === null)
      if (left.length > 0) throw new Error(`revoke --all left ${left.length} of the seeded sessions active`)
      if (wire.deletes.length !== REVOKED_SESSIONS) throw new Error(`revoke --all sent ${wire.deletes.length} DELETEs for ${REVOKED_SESSIONS} sessions`)
      const deletePhaseMs = Math.max(...wire.deletes.map((d) => d.end)) - Math.min(...wire.deletes.map((d) => d.start))
      revokes.push({deletePhaseMs, ms: result.ms, rss: kib})
    }

    // On loopback the emulator answers each DELETE before the next one is even parsed, so the server
    // never sees more than one at a time. With 20 ms of latency per DELETE it sees what the client
    // really keeps in flight.
    progress('revoking 200 sessions with 20 ms of server latency, to see the requests in flight')
    await emu.control.seedSessions(Array.from({length: 200}, (_, n) => ({account_email: REVOKER, device_label: `in-flight ${n}`})))
    await emu.control.addFault({count: 200, delay_ms: 20, route: 'DELETE account/sessions/{session_id}'})
    wire.reset()
    expectExit0('auth devices revoke --all', await run(cli(['auth', 'devices', 'revoke', '--all'], revoking.env)))
    await emu.control.clearFaults()
    const maxInFlight = wire.maxInFlight

    const floor = median(times.get(subjects[0].name)!)
    const framework = median(times.get(subjects[1].name)!)
    const figures: Figure[] = subjects.map((subject) => {
      const ms = times.get(subject.name)!
      return {
        baseline: subject.baseline ?? false,
        medianMs: median(ms),
        reference: subject.reference ?? false,
        name: subject.name,
        p25Ms: quantile(ms, 0.25),
        p75Ms: quantile(ms, 0.75),
        rssMiB: median(rss.get(subject.name)!) / 1024,
        runs: ms.length,
      }
    })
    figures.push(
      {baseline: false, medianMs: median(loginTotal), name: 'auth login (whole run, 1 s poll interval)', p25Ms: quantile(loginTotal, 0.25), p75Ms: quantile(loginTotal, 0.75), rssMiB: median(loginRss) / 1024, runs: loginTotal.length},
      {
        baseline: false,
        medianMs: median(loginAfterApproval),
        name: 'auth login: approving poll response → exit',
        p25Ms: quantile(loginAfterApproval, 0.25),
        p75Ms: quantile(loginAfterApproval, 0.75),
        rssMiB: Number.NaN,
        runs: loginAfterApproval.length,
      },
      {
        baseline: false,
        medianMs: median(revokes.map((r) => r.ms)),
        name: `auth devices revoke --all (${REVOKED_SESSIONS.toLocaleString('en')} sessions)`,
        p25Ms: quantile(revokes.map((r) => r.ms), 0.25),
        p75Ms: quantile(revokes.map((r) => r.ms), 0.75),
        rssMiB: median(revokes.map((r) => r.rss)) / 1024,
        runs: revokes.length,
      },
    )

    const byName = (name: string) => figures.find((f) => f.name.startsWith(name))!
    const revokeRate = REVOKED_SESSIONS / (median(revokes.map((r) => r.ms)) / 1000)
    const targets: Target[] = [
      ...['auth whoami', 'auth list', 'difyctl --version'].map((name) => ({
        limit: '≤ 1.3× framework floor',
        met: byName(name).medianMs / framework <= 1.3,
        name: `${name}: start-up`,
        value: `${(byName(name).medianMs / framework).toFixed(2)}× framework, ${(byName(name).medianMs / floor).toFixed(2)}× node -e 0`,
      })),
      ...['auth whoami', 'auth list', 'difyctl --version'].map((name) => ({
        limit: 'stretch: ≤ 3.0× node -e 0',
        met: byName(name).medianMs / floor <= 3,
        name: `${name}: start-up (stretch)`,
        value: `${(byName(name).medianMs / floor).toFixed(2)}× node -e 0`,
      })),
      {limit: '≤ 80 MiB', met: byName('auth whoami').rssMiB <= 80, name: 'auth whoami: peak RSS', value: `${byName('auth whoami').rssMiB.toFixed(1)} MiB`},
      {limit: '≤ 300 ms', met: median(loginAfterApproval) <= 300, name: 'auth login: approval → exit', value: `${median(loginAfterApproval).toFixed(0)} ms`},
      {limit: '≥ 50 sessions/s', met: revokeRate >= 50, name: 'revoke --all: throughput', value: `${revokeRate.toFixed(0)} sessions/s`},
      {limit: 'bounded (small)', met: maxInFlight <= 8, name: 'revoke --all: DELETEs in flight', value: `at most ${maxInFlight} (20 ms latency per DELETE)`},
    ]

    const report: Report = {
      cpus: cpus().length,
      date: new Date().toISOString(),
      figures,
      floorMs: floor,
      frameworkMs: framework,
      gnuTimeOverheadMs: median(wrapped.get(subjects[0].name)!) - floor,
      node: (await run({args: ['--version'], command: NODE, cwd: ROOT, env: env()})).stdout.trim(),
      platform: `${process.platform}-${process.arch}`,
      revoke: {
        deletePhaseSessionsPerS: REVOKED_SESSIONS / (median(revokes.map((r) => r.deletePhaseMs)) / 1000),
        maxInFlight,
        runs: revokes,
        sessionsPerS: revokeRate,
      },
      runs: RUNS,
      samples: Object.fromEntries(subjects.map((s) => [s.name, {ms: times.get(s.name)!, rssKiB: rss.get(s.name)!}])),
      targets,
      warmup: WARMUP,
    }
    printReport(report)
    mkdirSync(path.dirname(OUT), {recursive: true})
    writeFileSync(OUT, `${JSON.stringify({...report, loginAfterApprovalMs: loginAfterApproval, loginMs: loginTotal}, null, 2)}\n`)
    process.stdout.write(`\nJSON: ${path.relative(ROOT, OUT)}\n`)
  } finally {
    await emu?.close()
    dirs.cleanup()
  }
}

function progress(line: string): void {
  process.stderr.write(`bench: ${line}\n`)
}

await main()
