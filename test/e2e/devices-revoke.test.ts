import {hostname} from 'node:os'

import {expect} from 'chai'

import {BIN, type CliState, tempState} from '../support/cli.js'
import {startTestEmulator, type TestEmulator} from '../support/emulator.js'
import {ACCOUNTS, activeIds, difyctl, hostsYaml, ME, OTHER, pipeline, revokedIds, seed, signIn} from '../support/devices.js'
import {shellQuote, TerminalRun} from '../support/terminal.js'

describe('e2e: auth devices revoke', function () {
  this.timeout(180_000)
  let emu: TestEmulator
  let state: CliState
  let myId: string

  before(async () => {
    emu = await startTestEmulator({accounts: ACCOUNTS})
  })
  after(() => emu.close())
  beforeEach(async () => {
    await emu.control.reset({config: true})
    state = tempState()
    myId = await signIn(emu, state)
  })
  afterEach(() => state.cleanup())

  const deletes = async () => (await emu.control.requests()).filter((entry) => entry.method === 'DELETE')

  it('needs a target or --all: exit 2 with nothing sent', async () => {
    await emu.control.clearRequests()
    const result = await difyctl(['auth', 'devices', 'revoke'], state)
    expect(result.code).to.equal(2)
    expect(result.stderr).to.include('--all')
    expect(await emu.control.requests()).to.deep.equal([])
  })

  it('an ambiguous substring fails with exit 2 listing each candidate\'s label and id; nothing is revoked', async () => {
    const [one, two] = await seed(emu, 2, {prefix: 'ci-runner'})
    await seed(emu, 1, {prefix: 'laptop'})
    const result = await difyctl(['auth', 'devices', 'revoke', 'RUNNER'], state)
    expect(result.code).to.equal(2)
    expect(result.stderr).to.include('ambiguous_target')
    expect(result.stderr).to.include(`ci-runner 0  ${one}`).and.include(`ci-runner 1  ${two}`)
    expect(result.stderr).to.not.include('laptop')
    expect(result.stdout).to.equal('')
    expect(await deletes()).to.deep.equal([])
  })

  it('a target that matches nothing fails with `no session matches "<target>"` (exit 2)', async () => {
    await seed(emu, 3)
    const result = await difyctl(['auth', 'devices', 'revoke', 'zzz-nothing'], state)
    expect(result.code).to.equal(2)
    expect(result.stderr).to.include('no session matches "zzz-nothing"')
    expect(await deletes()).to.deep.equal([])
  })

  it('revokes another client\'s session by its id, leaving the rest', async () => {
    const other = await emu.control.seedSession({account_email: ME, client_id: 'vscode-plugin', device_label: 'vscode on desk'})
    const keep = await seed(emu, 2)
    const result = await difyctl(['auth', 'devices', 'revoke', other.id], state)
    expect(result.code, result.stderr).to.equal(0)
    expect(result.stdout).to.equal('✓ Revoked 1 session(s)\n')
    expect(await revokedIds(emu)).to.deep.equal([other.id])
    expect((await activeIds(emu)).sort()).to.deep.equal([myId, ...keep].sort())
    const paths = (await deletes()).map((entry) => entry.path)
    expect(paths).to.deep.equal([`/openapi/v1/account/sessions/${other.id}`])
  })

  it('matches an exact label on a later page (revoke walks every page)', async () => {
    const ids = await seed(emu, 449, {prefix: 'box'})
    // Seeded in one batch: the first seeded row is listed last among them, on page 3 of 200.
    const result = await difyctl(['auth', 'devices', 'revoke', 'box 0'], state)
    expect(result.code, result.stderr).to.equal(0)
    expect(await revokedIds(emu)).to.deep.equal([ids[0]])
  })

  it('revoking this sign-in\'s own session signs this machine out: whoami → 4, use account → not logged in (4), account kept', async () => {
    await seed(emu, 1)
    const result = await difyctl(['auth', 'devices', 'revoke', myId], state)
    expect(result.code, result.stderr).to.equal(0)
    expect(result.stdout).to.equal('✓ Revoked 1 session(s)\n')
    expect(result.stderr).to.include(`signed out of 127.0.0.1:${emu.port} as ${ME}`)
    expect(await revokedIds(emu)).to.deep.equal([myId])

    const whoami = await difyctl(['auth', 'whoami'], state)
    expect(whoami.code).to.equal(4)
    expect(whoami.stderr).to.include('not_logged_in')

    const use = await difyctl(['use', 'account', '--email', ME], state)
    expect(use.code).to.equal(4)
    expect(use.stderr).to.include('not_logged_in').and.include('auth login')
    expect(use.stderr).to.not.include('unknown_account')

    const yaml = hostsYaml(state)
    expect(yaml).to.include(ME)
    expect(yaml).to.match(/token_storage: null/)

    const list = await difyctl(['auth', 'devices', 'list'], state)
    expect(list.code).to.equal(4)

    // Signing in again simply refreshes the known account.
    const again = await signIn(emu, state)
    expect((await difyctl(['auth', 'whoami'], state)).code).to.equal(0)
    expect(again).to.not.equal(myId)
  })

  it('revoking this sign-in\'s session by its label (a substring match) also signs this machine out', async () => {
    await seed(emu, 2, {prefix: 'elsewhere'})
    const result = await difyctl(['auth', 'devices', 'revoke', `on ${hostname()}`], state)
    expect(result.code, result.stderr).to.equal(0)
    expect(await revokedIds(emu)).to.deep.equal([myId])
    expect((await difyctl(['auth', 'whoami'], state)).code).to.equal(4)
  })

  it('--all revokes every other session across pages, keeps this one, and never touches another account\'s', async () => {
    const mine = await seed(emu, 250)
    const theirs = await seed(emu, 5, {email: OTHER, prefix: 'theirs'})
    // 250 revokes at 60 a minute would take four minutes; pacing has its own test below.
    await emu.control.patchConfig({rate_limits: {per_token: {limit: 0}}})
    const result = await difyctl(['auth', 'devices', 'revoke', '--all'], state)
    expect(result.code, result.stderr).to.equal(0)
    expect(result.stdout).to.equal('✓ Revoked 250 session(s)\n')
    expect((await revokedIds(emu)).sort()).to.deep.equal([...mine].sort())
    expect(await activeIds(emu)).to.deep.equal([myId])
    expect((await activeIds(emu, OTHER)).sort()).to.deep.equal([...theirs].sort())
    expect((await difyctl(['auth', 'whoami'], state)).code).to.equal(0)
    expect((await difyctl(['auth', 'devices', 'list'], state)).code).to.equal(0)
  })

  it('--all with no other session prints "no sessions to revoke" and exits 0', async () => {
    const result = await difyctl(['auth', 'devices', 'revoke', '--all'], state)
    expect(result.code, result.stderr).to.equal(0)
    expect(result.stdout).to.equal('no sessions to revoke\n')
    expect(await deletes()).to.deep.equal([])
  })

  it('F09: `yes | difyctl auth devices revoke --all` shows no prompt, revokes, exits 0 without hanging', async () => {
    const others = await seed(emu, 3)
    const started = Date.now()
    // The literal pipeline: yes never closes its output, so reading stdin would hang or misread it.
    const result = await pipeline(`yes | ${shellQuote(process.execPath)} ${shellQuote(BIN)} auth devices revoke --all`, state)
    expect(result.code, result.stderr).to.equal(0)
    expect(result.stderr).to.not.include('Revoke')
    expect(result.stderr).to.not.include('?')
    expect(result.stdout).to.equal('✓ Revoked 3 session(s)\n')
    expect((await revokedIds(emu)).sort()).to.deep.equal([...others].sort())
    expect(Date.now() - started).to.be.lessThan(10_000)
  })

  it('piped input is never taken as the target: with no argument it is still a usage error', async () => {
    await seed(emu, 1, {prefix: 'spare'})
    const result = await pipeline(`printf 'spare 0\\n' | ${shellQuote(process.execPath)} ${shellQuote(BIN)} auth devices revoke`, state)
    expect(result.code).to.equal(2)
    expect(result.stderr).to.include('usage_error')
    expect(await deletes()).to.deep.equal([])
  })

  it('F14: a server that pages forever (same rows, has_more true) stops with exit 1 and revokes nothing', async () => {
    await seed(emu, 2)
    const rows = JSON.parse((await difyctl(['auth', 'devices', 'list', '--json'], state)).stdout).data
    await emu.control.addFault({body: {data: rows, has_more: true, limit: 200, page: 1, total: 100_000}, count: 100_000, route: 'GET account/sessions', status: 200})
    await emu.control.clearRequests()
    const result = await difyctl(['auth', 'devices', 'revoke', '--all'], state, {timeoutMs: 20_000})
    expect(result.code).to.equal(1)
    expect(result.stderr).to.include('bad_response')
    const log = await emu.control.requests()
    expect(log.filter((entry) => entry.method === 'DELETE')).to.deep.equal([])
    expect(log.filter((entry) => entry.method === 'GET').length).to.be.lessThan(5)
  })

  it('F14: the same rows echoed for every page number (has_more true) stop at the repeated page', async () => {
    await seed(emu, 2)
    const rows = JSON.parse((await difyctl(['auth', 'devices', 'list', '--json'], state)).stdout).data
    // A fault body cannot echo the page asked for, so two faults answer pages 1 and 2 with the same rows.
    await emu.control.addFault({body: {data: rows, has_more: true, limit: 200, page: 1, total: 9}, count: 1, route: 'GET account/sessions', status: 200})
    await emu.control.addFault({body: {data: rows, has_more: true, limit: 200, page: 2, total: 9}, count: 100, route: 'GET account/sessions', status: 200})
    const result = await difyctl(['auth', 'devices', 'revoke', '--all'], state)
    expect(result.code).to.equal(1)
    expect(result.stderr).to.include('bad_response').and.include('repeated rows')
    expect(await deletes()).to.deep.equal([])
  })

  it('--all over 150 sessions under a per-token limit of 60 per window waits as advised and revokes all 149 others', async () => {
    const others = await seed(emu, 149)
    await emu.control.patchConfig({rate_limits: {per_token: {limit: 60, window_s: 3}}})
    const started = Date.now()
    const result = await difyctl(['auth', 'devices', 'revoke', '--all'], state, {timeoutMs: 60_000})
    const seconds = (Date.now() - started) / 1000
    expect(result.code, result.stderr).to.equal(0)
    expect(result.stdout).to.equal('✓ Revoked 149 session(s)\n')
    expect(result.stderr).to.match(/rate limited by 127\.0\.0\.1:\d+; waiting \ds as the server asked/)
    expect((await revokedIds(emu)).sort()).to.deep.equal([...others].sort())
    expect(await activeIds(emu)).to.deep.equal([myId])
    const limited = (await emu.control.requests()).filter((entry) => entry.status === 429)
    expect(limited.length).to.be.greaterThan(0)
    // Two windows of 3 s must pass for 150 requests at 60 per window.
    expect(seconds).to.be.greaterThan(5)
    console.log(`      revoke --all of 149 under 60 per 3 s: ${seconds.toFixed(1)} s, ${limited.length} answers were 429`)
  })

  it('a partial failure reports what was and was not revoked (partial_failure, exit 1)', async () => {
    const others = await seed(emu, 10)
    await emu.control.addFault({count: 20, route: `DELETE account/sessions/${others[4]}`, status: 500})
    const result = await difyctl(['auth', 'devices', 'revoke', '--all'], state)
    expect(result.code).to.equal(1)
    expect(result.stdout).to.equal('')
    expect(result.stderr).to.include('partial_failure').and.include('revoked 9 of 10 session(s)').and.include(others[4])
    expect((await revokedIds(emu)).sort()).to.deep.equal(others.filter((id) => id !== others[4]).sort())
  })

  describe('in a terminal', () => {
    let terminal: TerminalRun | undefined
    afterEach(() => {
      terminal?.close()
      terminal = undefined
    })

    it('asks "Revoke <N> session(s)?"; answering n exits 2 and revokes nothing', async () => {
      await seed(emu, 2, {prefix: 'spare'})
      terminal = new TerminalRun(['auth', 'devices', 'revoke', '--all'], state)
      const screen = await terminal.waitFor(/Revoke 2 session\(s\)\?/)
      expect(screen).to.include('Revoke 2 session(s)? [y/N]')
      expect(screen).to.include('spare 0').and.include('spare 1')
      terminal.type('n', 'Enter')
      const {code, screen: after} = await terminal.finish()
      expect(code).to.equal(2)
      expect(after).to.include('declined')
      expect(await deletes()).to.deep.equal([])
    })

    it('answering y revokes', async () => {
      const others = await seed(emu, 2)
      terminal = new TerminalRun(['auth', 'devices', 'revoke', '--all'], state)
      await terminal.waitFor(/Revoke 2 session\(s\)\?/)
      terminal.type('y', 'Enter')
      const {code, screen} = await terminal.finish()
      expect(code, screen).to.equal(0)
      expect(screen).to.include('✓ Revoked 2 session(s)')
      expect((await revokedIds(emu)).sort()).to.deep.equal([...others].sort())
    })

    it('-y skips the question', async () => {
      const [other] = await seed(emu, 1, {prefix: 'old laptop'})
      terminal = new TerminalRun(['auth', 'devices', 'revoke', 'old laptop', '-y'], state)
      const {code, screen} = await terminal.finish()
      expect(code, screen).to.equal(0)
      expect(screen).to.not.include('Revoke 1 session(s)?')
      expect(screen).to.include('✓ Revoked 1 session(s)')
      expect(await revokedIds(emu)).to.deep.equal([other])
    })
  })
})
