import {expect} from 'chai'
import {execFileSync} from 'node:child_process'
import {existsSync, mkdirSync, readdirSync, readFileSync} from 'node:fs'
import path from 'node:path'

import type {Artifacts} from '../../scripts/pack/build.js'
import {startTestEmulator, type TestEmulator} from '../support/emulator.js'
import {beforePacked, packagedEnv, pathWithoutNode, runProgram, show, tarballFor, tempDir, unpackTarball} from './support.js'

/**
 * The way a user installs the standalone tarball: unpack it anywhere and run bin/difyctl, on a
 * machine without Node. Nothing here is set up beyond HOME: config and data go to the defaults
 * under HOME, and the token goes wherever difyctl chooses on this machine (the Secret Service when
 * the suite runs inside scripts/with-keyring.sh, else the sealed file).
 */
describe('packaging: the linux-x64 tarball, unpacked into an empty prefix, on a machine without Node', function () {
  let artifacts: Artifacts
  let emulator: TestEmulator
  let launcher: string
  let base: string
  let cleanup: () => void

  before(async function () {
    artifacts = await beforePacked(this)
    const temp = tempDir('install')
    base = temp.dir
    cleanup = temp.cleanup
    const prefix = path.join(base, 'prefix')
    mkdirSync(prefix)
    expect(readdirSync(prefix)).to.deep.equal([])
    launcher = path.join(unpackTarball(tarballFor('linux-x64'), prefix), 'bin', 'difyctl')
    emulator = await startTestEmulator({config: {auto_decide: {action: 'approve', after_polls: 1}, interval_s: 1}})
  })

  after(async () => {
    await emulator?.close()
    cleanup?.()
  })

  it('runs with a PATH that has no node, npm or npx on it', function () {
    const env = packagedEnv({HOME: base, PATH: pathWithoutNode()})
    for (const tool of ['node', 'nodejs', 'npm', 'npx']) {
      expect(execFileSync('bash', ['-c', `command -v ${tool} || echo none`], {encoding: 'utf8', env}).trim(), tool).to.equal('none')
    }
  })

  const homes: Array<[string, (base: string) => string]> = [
    ['a fresh HOME', (dir) => {
      const home = path.join(dir, 'fresh-home')
      mkdirSync(home)
      return home
    }],
    // The launcher oclif generates died here (`cd` into HOME under `set -e`); scripts/pack/finish.ts fixes it.
    ['a HOME that does not exist yet', (dir) => path.join(dir, 'no-such-dir', 'home')],
  ]

  for (const [label, makeHome] of homes) {
    describe(`with ${label}`, function () {
      let env: NodeJS.ProcessEnv
      let home: string
      const difyctl = (...args: string[]) => runProgram(launcher, args, {env})

      before(function () {
        home = makeHome(base)
        env = packagedEnv({HOME: home, PATH: pathWithoutNode()})
      })

      it('--version names the bundled Node runtime', async function () {
        const result = await difyctl('--version')
        expect(result.code, show(result)).to.equal(0)
        expect(result.stdout.trim()).to.equal(`difyctl/${artifacts.version} linux-x64 node-v${artifacts.node}`)
      })

      it('auth login, whoami and logout work against the emulator, keeping state under HOME', async function () {
        const login = await difyctl('auth', 'login', '--host', emulator.url, '--insecure', '--no-browser')
        expect(login.code, show(login)).to.equal(0)
        const hostsFile = path.join(home, '.config', 'difyctl', 'hosts.yml')
        expect(existsSync(hostsFile), 'hosts.yml under HOME').to.equal(true)
        // Inside scripts/with-keyring.sh the bundled binding must reach the real Secret Service;
        // elsewhere (no D-Bus) difyctl falls back to the sealed file.
        const storage = process.env.DIFYCTL_TEST_KEYRING === '1' ? 'keychain' : 'sealed-file'
        expect(readFileSync(hostsFile, 'utf8')).to.include(`token_storage: ${storage}`)

        const whoami = await difyctl('auth', 'whoami', '--json')
        expect(whoami.code, show(whoami)).to.equal(0)
        expect(JSON.parse(whoami.stdout)).to.include({email: 'demo@example.com'})

        const logout = await difyctl('auth', 'logout')
        expect(logout.code, show(logout)).to.equal(0)

        const after = await difyctl('auth', 'whoami', '--json')
        expect(after.code, show(after)).to.equal(4)
        expect(JSON.parse(after.stderr).error.code).to.equal('not_logged_in')
        expect(after.stdout).to.equal('')
      })
    })
  }
})
