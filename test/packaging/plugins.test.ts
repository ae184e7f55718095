import {expect} from 'chai'
import {execFileSync} from 'node:child_process'
import {mkdirSync} from 'node:fs'
import path from 'node:path'

import {ROOT} from '../../scripts/pack/targets.js'
import {BIN, type CliResult} from '../support/cli.js'
import {startTestEmulator, type TestEmulator} from '../support/emulator.js'
import {beforePacked, packagedEnv, pathWithoutNode, runProgram, show, tarballFor, tempDir, unpackTarball} from './support.js'

const PLUGIN_DIR = path.join(ROOT, 'examples', 'plugin-hello')
const PLUGIN = 'difyctl-plugin-hello'

interface Variant {
  name: string
  /** Prepares the CLI under test in `dir`; returns how to run it and the PATH to give it. */
  setUp(dir: string, context: Mocha.Context): Promise<{run: (args: readonly string[], env: NodeJS.ProcessEnv) => Promise<CliResult>, path: string}>
}

const VARIANTS: Variant[] = [
  {
    // The trimmed standalone tarball: plugins install must work with the npm left in the bundle,
    // on the bundled Node, with no Node on PATH.
    name: 'the linux-x64 tarball (trimmed, bundled Node, no Node on PATH)',
    async setUp(dir, context) {
      await beforePacked(context)
      const launcher = path.join(unpackTarball(tarballFor('linux-x64'), path.join(dir, 'prefix')), 'bin', 'difyctl')
      return {path: pathWithoutNode(), run: (args, env) => runProgram(launcher, args, {env})}
    },
  },
  {
    name: 'the checkout (bin/run.js)',
    async setUp() {
      return {path: process.env.PATH ?? '', run: (args, env) => runProgram(process.execPath, [BIN, ...args], {env})}
    },
  },
]

const METHODS = [
  {args: (_tgz: string) => ['plugins', 'link', PLUGIN_DIR], name: 'plugins link <dir>'},
  // `file:` makes oclif hand the path to npm as is (a bare path with a slash reads as a GitHub repo).
  {args: (tgz: string) => ['plugins', 'install', `file:${tgz}`], name: 'plugins install <npm pack tarball>'},
]

/** The one JSON line a failure writes to stderr in --json mode. */
function jsonError(result: CliResult): {code: string, message: string, hint?: string} {
  const lines = result.stderr.trim().split('\n')
  expect(lines, show(result)).to.have.length(1)
  return JSON.parse(lines[0]).error
}

describe('packaging: a third-party plugin on the difyctl SDK (examples/plugin-hello)', function () {
  let pluginTarball: string
  let packCleanup: () => void

  before(function () {
    this.timeout(60_000)
    const temp = tempDir('plugin-pack')
    packCleanup = temp.cleanup
    const name = execFileSync('npm', ['pack', PLUGIN_DIR, '--silent', '--pack-destination', temp.dir], {encoding: 'utf8', env: packagedEnv({})}).trim().split('\n').pop()!
    pluginTarball = path.join(temp.dir, name)
  })

  after(() => packCleanup?.())

  for (const variant of VARIANTS) {
    for (const method of METHODS) {
      describe(`${variant.name}, via ${method.name}`, function () {
        let emulator: TestEmulator
        let cleanup: () => void
        let run: (args: readonly string[], extra?: Record<string, string>) => Promise<CliResult>

        before(async function () {
          this.timeout(15 * 60_000)
          const temp = tempDir('plugin')
          cleanup = temp.cleanup
          const cli = await variant.setUp(temp.dir, this)
          // Everything the CLI, oclif and npm would write goes under this test's own directory.
          const home = path.join(temp.dir, 'home')
          mkdirSync(home)
          const env = packagedEnv({
            DIFY_CONFIG_DIR: path.join(temp.dir, 'config'),
            DIFY_DATA_DIR: path.join(temp.dir, 'data'),
            DIFY_TOKEN_STORAGE: 'file',
            HOME: home,
            // A linked plain-JS plugin makes oclif warn on every run that it cannot transpile it.
            OCLIF_DISABLE_LINKED_ESM_WARNING: '1',
            PATH: cli.path,
            XDG_CACHE_HOME: path.join(temp.dir, 'cache'),
            XDG_CONFIG_HOME: path.join(temp.dir, 'xdg-config'),
            XDG_DATA_HOME: path.join(temp.dir, 'xdg-data'),
          })
          run = (args, extra = {}) => cli.run(args, {...env, ...extra})
          emulator = await startTestEmulator({config: {auto_decide: {action: 'approve', after_polls: 1}, interval_s: 1}})
        })

        after(async () => {
          await emulator?.close()
          cleanup?.()
        })

        it('installs, and `plugins` lists it', async function () {
          const installed = await run(method.args(pluginTarball))
          expect(installed.code, show(installed)).to.equal(0)
          const list = await run(['plugins'])
          expect(list.stdout).to.include(PLUGIN)
        })

        it('not signed in: exit 4 with the same error, human and --json, as the core commands', async function () {
          for (const [plugin, core] of [[['hello', 'context'], ['auth', 'whoami']], [['hello', 'sessions'], ['auth', 'devices', 'list']]]) {
            const [ours, theirs] = await Promise.all([run(plugin), run(core)])
            expect(ours.code, show(ours)).to.equal(4)
            expect(ours.stdout).to.equal('')
            expect(ours.stderr).to.equal(theirs.stderr)
            const [oursJson, theirsJson] = await Promise.all([run([...plugin, '--json']), run([...core, '--json'])])
            expect(oursJson.code, show(oursJson)).to.equal(4)
            expect(jsonError(oursJson)).to.deep.equal(jsonError(theirsJson))
            expect(jsonError(oursJson).code).to.equal('not_logged_in')
          }
        })

        it('signed in: hello context prints the active context, human and --json', async function () {
          const login = await run(['auth', 'login', '--host', emulator.url, '--insecure', '--no-browser'])
          expect(login.code, show(login)).to.equal(0)
          const human = await run(['hello', 'context'])
          expect(human.code, show(human)).to.equal(0)
          expect(human.stdout).to.match(/^hello demo@example\.com on 127\.0\.0\.1:\d+\n$/)
          const json = await run(['hello', 'context', '--json'])
          expect(json.code, show(json)).to.equal(0)
          expect(json.stdout.endsWith('\n') && json.stdout.trim().split('\n')).to.have.length(1)
          expect(JSON.parse(json.stdout)).to.include({base_url: emulator.url, email: 'demo@example.com'})
        })

        it('signed in: hello sessions calls GET account/sessions through the SDK and agrees with auth devices list', async function () {
          const [ours, core] = await Promise.all([run(['hello', 'sessions', '--json']), run(['auth', 'devices', 'list', '--json'])])
          expect(ours.code, show(ours)).to.equal(0)
          expect(core.code, show(core)).to.equal(0)
          const coreList = JSON.parse(core.stdout) as {total: number, data: Array<{device_label: string}>}
          const mine = JSON.parse(ours.stdout) as {total: number, device_labels: string[]}
          expect(mine.total).to.equal(coreList.total).and.to.be.at.least(1)
          expect(mine.device_labels).to.deep.equal(coreList.data.map((row) => row.device_label))
          const requests = (await emulator.control.requests()).filter((r) => JSON.stringify(r).includes('account/sessions'))
          expect(requests.length).to.be.at.least(2)
        })

        for (const mode of ['throw', 'exit']) {
          it(`a plugin hook that fails (${mode}) on init and prerun does not break core or plugin commands`, async function () {
            const clean = await run(['auth', 'whoami', '--json'])
            expect(clean.code, show(clean)).to.equal(0)
            const hooked = await run(['auth', 'whoami', '--json'], {DIFYCTL_HELLO_HOOK: mode})
            expect(hooked.code, show(hooked)).to.equal(0)
            expect(hooked.stdout).to.equal(clean.stdout)
            expect(hooked.stderr).to.equal('')
            const plugin = await run(['hello', 'context', '--json'], {DIFYCTL_HELLO_HOOK: mode})
            expect(plugin.code, show(plugin)).to.equal(0)
            // The hook did run (and fail): oclif's debug log shows the failure.
            const debug = await run(['auth', 'whoami'], {DEBUG: `oclif:${PLUGIN}:hooks:*`, DIFYCTL_HELLO_HOOK: mode})
            expect(debug.code, show(debug)).to.equal(0)
            expect(debug.stderr).to.include(`hook ${mode === 'throw' ? 'failed' : 'exited'} on purpose`)
          })
        }

        it('a token the server rejects (401): exit 4 with the same error as auth devices list', async function () {
          await emulator.control.advanceClock(15 * 24 * 3600)
          const [ours, core] = await Promise.all([run(['hello', 'sessions']), run(['auth', 'devices', 'list'])])
          expect(ours.code, show(ours)).to.equal(4)
          expect(ours.stdout).to.equal('')
          // Same rendering; only the request line differs, as the core command also sends its page and limit.
          expect(ours.stderr).to.equal(core.stderr.replace(/\?limit=\d+&page=\d+/, ''))
          expect(ours.stderr).to.include('http_status: 401')
          const json = await run(['hello', 'sessions', '--json'])
          expect(json.code, show(json)).to.equal(4)
          expect(jsonError(json).code).to.equal('auth_expired')
        })

        it('uninstalls cleanly', async function () {
          const removed = await run(['plugins', 'uninstall', PLUGIN])
          expect(removed.code, show(removed)).to.equal(0)
          const gone = await run(['hello', 'context'])
          expect(gone.code).to.not.equal(0)
          const core = await run(['auth', 'whoami', '--json'])
          expect(core.code, show(core)).to.equal(0)
        })
      })
    }
  }
})
