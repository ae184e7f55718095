import {expect} from 'chai'
import {readFileSync} from 'node:fs'
import path from 'node:path'

import {HostsStore} from '../../src/lib/config/hosts-store.js'
import {systemClock} from '../../src/lib/io/system.js'
import {type CliState, tempState} from '../support/cli.js'
import {startTestEmulator} from '../support/emulator.js'
import {hostsWith} from '../support/fakes.js'
import {seedTokens} from '../support/seed.js'
import {TerminalRun} from '../support/terminal.js'

describe('e2e: in a real terminal (tmux)', function () {
  this.timeout(60_000)
  let state: CliState
  let terminal: TerminalRun | undefined

  beforeEach(async () => {
    state = tempState()
    const file = hostsWith(
      [
        {email: 'you@company.com', host: 'dify.example.com', name: 'Your Name'},
        {email: 'teammate-bot@company.com', host: 'dify.example.com', name: 'Bot'},
        {email: 'you@acme.com', host: 'dify.internal.acme.com', name: 'Your Name'},
      ],
      {email: 'you@company.com', host: 'dify.example.com'},
    )
    await new HostsStore({clock: systemClock, configDir: state.configDir}).update((current) => Object.assign(current, file))
    await seedTokens(state, file)
  })

  afterEach(() => {
    terminal?.close()
    terminal = undefined
    state.cleanup()
  })

  const hostsYml = () => readFileSync(path.join(state.configDir, 'hosts.yml'), 'utf8')

  it('use host: the picker moves with the arrow keys and Enter switches', async () => {
    terminal = new TerminalRun(['use', 'host'], state)
    await terminal.waitFor(/Switch to which host\?/)
    terminal.type('Down')
    terminal.type('Enter')
    const {code, screen} = await terminal.finish()
    expect(code, screen).to.equal(0)
    expect(screen).to.include('✓ Active host is now dify.internal.acme.com')
    expect(hostsYml()).to.include('current_host: dify.internal.acme.com')
  })

  it('use account: the picker lists the accounts on the active host and switches', async () => {
    terminal = new TerminalRun(['use', 'account'], state)
    await terminal.waitFor(/teammate-bot@company\.com \(Bot\)/)
    terminal.type('Down')
    terminal.type('Enter')
    const {code, screen} = await terminal.finish()
    expect(code, screen).to.equal(0)
    expect(screen).to.include('✓ Active account on dify.example.com is now teammate-bot@company.com')
  })

  it('F10: Ctrl-C at the picker exits 130 with one short line, no stack trace, hosts.yml unchanged', async () => {
    const before = hostsYml()
    terminal = new TerminalRun(['use', 'host'], state)
    await terminal.waitFor(/Switch to which host\?/)
    terminal.type('C-c')
    const {code, screen} = await terminal.finish()
    expect(code, screen).to.equal(130)
    expect(screen).to.match(/^interrupted: interrupted \(Ctrl-C\)$/m)
    expect(screen).not.to.match(/\n\s+at /)
    expect(hostsYml()).to.equal(before)
  })

  it('auth login without --host asks for the host in a terminal, then signs in', async () => {
    const emulator = await startTestEmulator({config: {auto_decide: {action: 'approve', after_polls: 1}, interval_s: 1}})
    try {
      terminal = new TerminalRun(['auth', 'login', '--insecure', '--no-browser'], state)
      await terminal.waitFor(/Dify host/)
      // Clear the suggested default, then type the emulator's URL.
      terminal.type('C-u')
      terminal.type('-l', emulator.url)
      terminal.type('Enter')
      const {code, screen} = await terminal.finish(30_000)
      expect(code, screen).to.equal(0)
      expect(screen).to.match(/! Copy this one-time code: [A-Z3-9]{4}-[A-Z3-9]{4}/)
      expect(screen).to.include(`✓ Logged in to ${new URL(emulator.url).host} as demo@example.com (Demo User)`)
    } finally {
      await emulator.close()
    }
  })

  it('Ctrl-C during the login wait exits 130 and writes nothing', async () => {
    const emulator = await startTestEmulator({config: {interval_s: 1}})
    try {
      const before = hostsYml()
      terminal = new TerminalRun(['auth', 'login', '--host', emulator.url, '--insecure', '--no-browser'], state)
      await terminal.waitFor(/Waiting for approval/)
      terminal.type('C-c')
      const {code, screen} = await terminal.finish()
      expect(code, screen).to.equal(130)
      expect(screen).not.to.match(/\n\s+at /)
      expect(hostsYml()).to.equal(before)
    } finally {
      await emulator.close()
    }
  })
})
