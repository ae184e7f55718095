import {expect} from 'chai'
import {readFileSync} from 'node:fs'
import path from 'node:path'
import {fileURLToPath, pathToFileURL} from 'node:url'

import {HostsStore} from '../../src/lib/config/hosts-store.js'
import {systemClock} from '../../src/lib/io/system.js'
import {type CliResult, type CliState, runCli, tempState} from '../support/cli.js'
import {loginAs} from '../support/e2e.js'
import {startTestEmulator, type TestEmulator} from '../support/emulator.js'
import {hostsWith} from '../support/fakes.js'
import {seedTokens} from '../support/seed.js'

/**
 * The lazy-loading rule (docs/performance.md): commands that stay on this machine load neither the
 * HTTP client, the proxy agent, the keyring binding nor the prompt library. Checked on the real
 * built CLI, with a preload that records every module the process loads.
 */
const RECORDER = pathToFileURL(path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'support', 'module-recorder.mjs')).href

// Packages a local command must not load, as they appear in module URLs.
const NETWORK_AND_PROMPTS = ['/node_modules/got/', '/node_modules/hpagent/', '/node_modules/@napi-rs/keyring', '/node_modules/@inquirer/']
// Nor this, which drags npm's machinery behind `difyctl plugins`.
const PLUGIN_MANAGER = '/node_modules/@oclif/plugin-plugins/'
// Nor js-yaml (100 KB of code): a hosts.yml that difyctl wrote is read by src/lib/config/hosts-fast-load.ts,
// and only writers and `-o yaml` need the YAML library.
const YAML = '/node_modules/js-yaml/'

interface Recorded {
  result: CliResult
  modules: string[]
  reads: string[]
}

async function recorded(args: string[], state: CliState): Promise<Recorded> {
  const record = path.join(state.configDir, '..', 'record.json')
  const result = await runCli(args, {env: {...state.env, DIFYCTL_TEST_RECORD: record, NODE_OPTIONS: `--import=${RECORDER}`}})
  const {modules, reads} = JSON.parse(readFileSync(record, 'utf8')) as {modules: string[]; reads: string[]}
  return {modules, reads, result}
}

function loadedAmong(modules: string[], packages: string[]): string[] {
  return packages.filter((name) => modules.some((url) => url.includes(name)))
}

describe('perf: local commands load no network, keyring or prompt code', function () {
  this.timeout(120_000)
  let state: CliState

  beforeEach(async () => {
    state = tempState()
    const file = hostsWith(
      [
        {email: 'you@company.com', host: 'dify.example.com', name: 'You'},
        {email: 'bot@company.com', host: 'dify.example.com', name: 'Bot'},
        {email: 'you@acme.com', host: 'dify.acme.com', name: 'You'},
      ],
      {email: 'you@company.com', host: 'dify.example.com'},
    )
    await new HostsStore({clock: systemClock, configDir: state.configDir}).update((current) => Object.assign(current, file))
    await seedTokens(state, file)
  })
  afterEach(() => state.cleanup())

  for (const args of [['auth', 'whoami'], ['auth', 'list', '-o', 'json'], ['--version']]) {
    it(`difyctl ${args.join(' ')} loads none of got, hpagent, @napi-rs/keyring, @inquirer/prompts, @oclif/plugin-plugins, js-yaml`, async () => {
      const {modules, result} = await recorded(args, state)
      expect(result.code, result.stderr).to.equal(0)
      // The recorder saw the command's own code, so an empty list below means something.
      if (args[0] === 'auth') expect(modules.some((url) => url.endsWith(`/build/src/commands/auth/${args[1]}.js`))).to.equal(true)
      expect(loadedAmong(modules, [...NETWORK_AND_PROMPTS, PLUGIN_MANAGER, YAML])).to.deep.equal([])
    })
  }

  it('auth list -o yaml does load js-yaml: the recorder would see a local command load it', async () => {
    const {modules, result} = await recorded(['auth', 'list', '-o', 'yaml'], state)
    expect(result.code, result.stderr).to.equal(0)
    expect(loadedAmong(modules, [YAML])).to.deep.equal([YAML])
  })

  it('auth whoami reads hosts.yml once: the prerun hook resolves the context, the command reuses it', async () => {
    const {reads, result} = await recorded(['auth', 'whoami'], state)
    expect(result.stdout).to.equal('you@company.com (You)\n')
    expect(reads.filter((file) => path.basename(file) === 'hosts.yml')).to.have.length(1)
  })

  describe('against the emulator', () => {
    let emulator: TestEmulator
    before(async () => {
      emulator = await startTestEmulator()
    })
    after(() => emulator.close())

    it('auth devices list does load got: the recorder would see a network command load it', async () => {
      const signedIn = tempState()
      try {
        await loginAs(emulator, signedIn)
        const {modules, result} = await recorded(['auth', 'devices', 'list'], signedIn)
        expect(result.code, result.stderr).to.equal(0)
        expect(loadedAmong(modules, NETWORK_AND_PROMPTS)).to.include('/node_modules/got/')
      } finally {
        signedIn.cleanup()
      }
    })
  })
})
