import {expect} from 'chai'
import {EventEmitter} from 'node:events'

import {browserOpener, type BrowserOptions, headlessReason, type SpawnLike, splitCommand} from '../../../src/lib/io/browser.js'

const URL = 'http://127.0.0.1:5001/device'

interface Spawned {
  command: string
  args: readonly string[]
  options: {detached: boolean; stdio: 'ignore'; shell?: boolean}
  unrefs: number
}

/**
 * A spawn that records what it was asked to run and then behaves as told: starts, fails with an
 * errno error (as Node reports a missing program), or throws synchronously (as Node does for bad
 * arguments).
 */
function fakeSpawn(behaviour: 'start' | {errno: string} | 'throw' = 'start'): SpawnLike & {calls: Spawned[]} {
  const calls: Spawned[] = []
  const spawn = (command: string, args: readonly string[], options: Spawned['options']) => {
    if (behaviour === 'throw') throw new TypeError('The argument "file" cannot be empty')
    const record: Spawned = {args, command, options, unrefs: 0}
    calls.push(record)
    const child = Object.assign(new EventEmitter(), {
      unref() {
        record.unrefs++
      },
    })
    setImmediate(() => {
      if (behaviour === 'start') child.emit('spawn')
      else child.emit('error', Object.assign(new Error(`spawn ${command} ${behaviour.errno}`), {code: behaviour.errno}))
    })
    return child
  }

  return Object.assign(spawn, {calls})
}

/** A desktop Linux session in a terminal, unless the test says otherwise. */
function options(overrides: Partial<BrowserOptions> = {}): BrowserOptions {
  return {env: {DISPLAY: ':0'}, platform: 'linux', spawn: fakeSpawn(), stderrIsTTY: true, ...overrides}
}

describe('io/browser', () => {
  describe('BROWSER', () => {
    it('wins over the platform opener and gets the URL as its last argument', async () => {
      const spawn = fakeSpawn()
      const result = await browserOpener(options({env: {BROWSER: 'firefox --new-window', DISPLAY: ':0'}, spawn}))(URL)
      expect(result).to.deep.equal({opened: true})
      expect(spawn.calls).to.have.length(1)
      expect(spawn.calls[0].command).to.equal('firefox')
      expect(spawn.calls[0].args).to.deep.equal(['--new-window', URL])
    })

    it('puts the URL where %s is, in every argument that has it, and not again at the end', async () => {
      const spawn = fakeSpawn()
      await browserOpener(options({env: {BROWSER: 'chromium --app=%s --title %s'}, spawn}))(URL)
      expect(spawn.calls[0].args).to.deep.equal([`--app=${URL}`, '--title', URL])
    })

    it('passes a URL with shell metacharacters as one literal argument (no shell)', async () => {
      const spawn = fakeSpawn()
      const tricky = 'https://dify.example.com/device?a=1&b=$(rm -rf ~);x'
      await browserOpener(options({env: {BROWSER: 'open-it'}, spawn}))(tricky)
      expect(spawn.calls[0].args).to.deep.equal([tricky])
      expect(spawn.calls[0].options.shell).to.not.equal(true)
    })

    it('is used on a headless machine (SSH, no display, no terminal): the user chose it', async () => {
      const spawn = fakeSpawn()
      const env = {BROWSER: '/tmp/hand-url-to-test.sh', SSH_CONNECTION: '10.0.0.1 22 10.0.0.2 22'}
      const result = await browserOpener({env, platform: 'linux', spawn, stderrIsTTY: false})(URL)
      expect(result.opened).to.equal(true)
      expect(spawn.calls[0].command).to.equal('/tmp/hand-url-to-test.sh')
    })

    it('runs detached with output ignored, and lets go of the child so the CLI can exit', async () => {
      const spawn = fakeSpawn()
      await browserOpener(options({env: {BROWSER: 'x'}, spawn}))(URL)
      expect(spawn.calls[0].options).to.include({detached: true, stdio: 'ignore'})
      expect(spawn.calls[0].unrefs).to.equal(1)
    })

    it('takes quoted paths with spaces, and keeps backslashes (Windows paths) literal', async () => {
      const spawn = fakeSpawn()
      await browserOpener(options({env: {BROWSER: `"/Applications/Google Chrome.app/x" '--profile=Work One'`}, spawn}))(URL)
      expect(spawn.calls[0].command).to.equal('/Applications/Google Chrome.app/x')
      expect(spawn.calls[0].args).to.deep.equal(['--profile=Work One', URL])
      expect(splitCommand('"C:\\Program Files\\Mozilla Firefox\\firefox.exe" -new-tab')).to.deep.equal([
        'C:\\Program Files\\Mozilla Firefox\\firefox.exe',
        '-new-tab',
      ])
    })

    it('a command that is not there → not opened, with a reason naming BROWSER and the command', async () => {
      const result = await browserOpener(options({env: {BROWSER: 'no-such-browser --flag'}, spawn: fakeSpawn({errno: 'ENOENT'})}))(URL)
      expect(result).to.deep.equal({opened: false, reason: 'the BROWSER command (no-such-browser) could not start (not found)'})
    })

    it('a command that is not executable → not opened, permission denied', async () => {
      const result = await browserOpener(options({env: {BROWSER: './notes.txt'}, spawn: fakeSpawn({errno: 'EACCES'})}))(URL)
      expect(result.opened).to.equal(false)
      expect(result.reason).to.equal('the BROWSER command (./notes.txt) could not start (permission denied)')
    })

    it('a spawn that throws → not opened, never a rejection', async () => {
      const result = await browserOpener(options({env: {BROWSER: 'x'}, spawn: fakeSpawn('throw')}))(URL)
      expect(result.opened).to.equal(false)
      expect(result.reason).to.match(/^the BROWSER command \(x\) could not start \(.+\)$/)
    })

    it('an unclosed quote or no command word → not opened, nothing spawned', async () => {
      const spawn = fakeSpawn()
      expect(await browserOpener(options({env: {BROWSER: '"/opt/my browser'}, spawn}))(URL)).to.deep.equal({
        opened: false,
        reason: 'BROWSER has an unclosed quote',
      })
      expect(await browserOpener(options({env: {BROWSER: '"" --x'}, spawn}))(URL)).to.deep.equal({opened: false, reason: 'BROWSER names no command'})
      expect(spawn.calls).to.deep.equal([])
    })

    it('empty or blank BROWSER counts as unset', async () => {
      for (const value of ['', '   ']) {
        const spawn = fakeSpawn()
        await browserOpener(options({env: {BROWSER: value, DISPLAY: ':0'}, spawn}))(URL)
        expect(spawn.calls[0].command).to.equal('xdg-open')
      }
    })
  })

  describe('platform opener', () => {
    for (const [platform, command, args] of [
      ['linux', 'xdg-open', [URL]],
      ['darwin', 'open', [URL]],
      ['win32', 'rundll32', ['url.dll,FileProtocolHandler', URL]],
    ] as const) {
      it(`${platform}: ${command}`, async () => {
        const spawn = fakeSpawn()
        const result = await browserOpener({env: {DISPLAY: ':0'}, platform, spawn, stderrIsTTY: true})(URL)
        expect(result.opened).to.equal(true)
        expect(spawn.calls[0].command).to.equal(command)
        expect(spawn.calls[0].args).to.deep.equal(args)
      })
    }

    it('a missing opener → not opened, with a reason', async () => {
      const result = await browserOpener(options({spawn: fakeSpawn({errno: 'ENOENT'})}))(URL)
      expect(result).to.deep.equal({opened: false, reason: 'xdg-open could not start (not found)'})
    })

    it('is not tried on a headless machine', async () => {
      for (const [env, stderrIsTTY, reason] of [
        [{DISPLAY: ':0', SSH_TTY: '/dev/pts/1'}, true, 'this is an SSH session'],
        [{}, true, 'no graphical display (DISPLAY and WAYLAND_DISPLAY are unset)'],
        [{WAYLAND_DISPLAY: 'wayland-0'}, false, 'not running in a terminal'],
      ] as const) {
        const spawn = fakeSpawn()
        expect(await browserOpener({env, platform: 'linux', spawn, stderrIsTTY})(URL)).to.deep.equal({opened: false, reason})
        expect(spawn.calls).to.deep.equal([])
        expect(headlessReason({env, platform: 'linux', stderrIsTTY})).to.equal(reason)
      }
    })

    it('needs no DISPLAY on macOS', () => {
      expect(headlessReason({env: {}, platform: 'darwin', stderrIsTTY: true})).to.equal(undefined)
    })
  })
})
