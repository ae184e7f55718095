import {readFileSync, writeFileSync} from 'node:fs'
import {hostname} from 'node:os'
import path from 'node:path'

import {expect} from 'chai'

import {type CliState, tempState} from '../support/cli.js'
import {startTestEmulator, type TestEmulator} from '../support/emulator.js'
import {ACCOUNTS, difyctl, OTHER, seed, signIn} from '../support/devices.js'

const SESSION_KEYS = ['client_id', 'created_at', 'device_label', 'expires_at', 'id', 'last_used_at', 'prefix']

describe('e2e: auth devices list', function () {
  this.timeout(120_000)
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

  const sessionRequests = async () => (await emu.control.requests()).filter((entry) => entry.path.includes('account/sessions'))

  it('shows the table with * on this sign-in, an empty LAST USED for a never-used session, and other clients\' sessions', async () => {
    await emu.control.seedSession({account_email: 'demo@example.com', client_id: 'vscode-plugin', device_label: 'vscode on desk', last_used_at: '2026-06-10T22:51:44Z'})
    await seed(emu, 2, {email: OTHER, prefix: 'not mine'})
    const result = await difyctl(['auth', 'devices', 'list'], state)
    expect(result.code, result.stderr).to.equal(0)
    const lines = result.stdout.trimEnd().split('\n')
    expect(lines[0]).to.match(/^DEVICE\s+CREATED\s+LAST USED\s+CURRENT$/)
    expect(lines).to.have.length(3)
    const mine = lines.find((line) => line.startsWith(`difyctl on ${hostname()}`))!
    expect(mine).to.match(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\s+\*$/)
    const vscode = lines.find((line) => line.startsWith('vscode on desk'))!
    expect(vscode).to.match(/^vscode on desk\s+\S+Z\s+2026-06-10T22:51:44Z$/)
    expect(result.stdout).to.not.include('not mine')
    expect(result.stderr).to.equal('')
  })

  it('--json prints one line: data with the seven fields per session, plus page, limit, total, has_more', async () => {
    await seed(emu, 2)
    const result = await difyctl(['auth', 'devices', 'list', '--json'], state)
    expect(result.code, result.stderr).to.equal(0)
    expect(result.stdout.endsWith('\n')).to.equal(true)
    expect(result.stdout.trimEnd().split('\n')).to.have.length(1)
    const body = JSON.parse(result.stdout)
    expect(body).to.include({has_more: false, limit: 20, page: 1, total: 3})
    expect(body.data).to.have.length(3)
    for (const entry of body.data) expect(Object.keys(entry).sort()).to.deep.equal(SESSION_KEYS)
    expect(body.data.find((entry: {id: string}) => entry.id === myId)).to.include({client_id: 'difyctl', last_used_at: null, prefix: 'dfoa_'})
  })

  it('pages through 450 sessions: --page/--limit, DIFY_LIMIT, and the flag winning over it', async () => {
    await seed(emu, 449)
    const page3 = JSON.parse((await difyctl(['auth', 'devices', 'list', '--json', '--page', '3', '--limit', '200'], state)).stdout)
    expect(page3).to.include({has_more: false, limit: 200, page: 3, total: 450})
    expect(page3.data).to.have.length(50)
    expect(page3.data.at(-1).id).to.equal(myId)

    const first = await difyctl(['auth', 'devices', 'list'], state)
    expect(first.stdout.trimEnd().split('\n')).to.have.length(21)
    expect(first.stderr).to.include('next page: difyctl auth devices list --page 2')

    const fromEnv = JSON.parse((await difyctl(['auth', 'devices', 'list', '--json'], state, {env: {DIFY_LIMIT: '100'}})).stdout)
    expect(fromEnv).to.include({has_more: true, limit: 100})
    expect(fromEnv.data).to.have.length(100)
    const flagWins = JSON.parse((await difyctl(['auth', 'devices', 'list', '--json', '--limit', '7'], state, {env: {DIFY_LIMIT: '100'}})).stdout)
    expect(flagWins.data).to.have.length(7)

    const all = new Set<string>()
    for (const page of [1, 2, 3]) {
      const body = JSON.parse((await difyctl(['auth', 'devices', 'list', '--json', '--page', String(page), '--limit', '200'], state)).stdout)
      for (const entry of body.data) all.add(entry.id)
    }

    expect(all.size).to.equal(450)
    const past = await difyctl(['auth', 'devices', 'list', '--page', '99'], state)
    expect(past.code).to.equal(0)
    expect(past.stdout).to.equal('')
    expect(past.stderr).to.include('no sessions on page 99')
  })

  it('rejects --limit 0, 201, abc, a bad --page and a bad DIFY_LIMIT with exit 2 before any request', async () => {
    await emu.control.clearRequests()
    const cases: Array<[string[], Record<string, string>, string]> = [
      [['--limit', '0'], {}, '--limit'],
      [['--limit', '201'], {}, '--limit'],
      [['--limit', 'abc'], {}, '--limit'],
      [['--page', '0'], {}, '--page'],
      [[], {DIFY_LIMIT: '0'}, 'DIFY_LIMIT'],
      [[], {DIFY_LIMIT: 'many'}, 'DIFY_LIMIT'],
    ]
    for (const [flags, env, named] of cases) {
      const result = await difyctl(['auth', 'devices', 'list', ...flags], state, {env})
      expect(result.code, `${flags.join(' ')} ${JSON.stringify(env)}`).to.equal(2)
      expect(result.stderr).to.include('invalid_flag').and.include(named)
      expect(result.stdout).to.equal('')
    }

    expect(await sessionRequests()).to.deep.equal([])
  })

  it('a token the server rejects (401) exits 4 with a hint to sign in again', async () => {
    await emu.control.advanceClock(15 * 24 * 3600)
    const result = await difyctl(['auth', 'devices', 'list'], state)
    expect(result.code).to.equal(4)
    expect(result.stderr).to.include('auth_expired').and.include(`difyctl auth login --host ${emu.url}`)
    expect(result.stdout).to.equal('')
  })

  it('F13: a 429 with a long Retry-After exits 7 promptly, naming the wait; a short one is waited out with a notice', async () => {
    await emu.control.addFault({count: 1, headers: {'Retry-After': '3600'}, route: 'GET account/sessions', status: 429})
    const started = Date.now()
    const limited = await difyctl(['auth', 'devices', 'list'], state)
    expect(limited.code).to.equal(7)
    expect(limited.stderr).to.include('rate_limited').and.include('3600s')
    expect(Date.now() - started).to.be.lessThan(10_000)

    await emu.control.addFault({count: 1, headers: {'Retry-After': '1'}, route: 'GET account/sessions', status: 429})
    const waited = await difyctl(['auth', 'devices', 'list'], state)
    expect(waited.code, waited.stderr).to.equal(0)
    expect(waited.stderr).to.include('waiting 1s')
    expect(waited.stdout).to.include('DEVICE')
  })

  it('a server failing with 5xx exits 1 after retries', async () => {
    await emu.control.addFault({count: 10, route: 'GET account/sessions', status: 502})
    const result = await difyctl(['auth', 'devices', 'list'], state)
    expect(result.code).to.equal(1)
    expect(result.stderr).to.include('server_error')
  })

  it('F03: a keychain context whose store is unreachable exits 1 with keyring_unavailable, and sends no request', async () => {
    const file = path.join(state.configDir, 'hosts.yml')
    writeFileSync(file, readFileSync(file, 'utf8').replace(/token_storage: .*/, 'token_storage: keychain'))
    await emu.control.clearRequests()
    const result = await difyctl(['auth', 'devices', 'list'], state, {
      env: {DBUS_SESSION_BUS_ADDRESS: 'unix:path=/nonexistent/difyctl-test-bus', DIFY_TOKEN_STORAGE: undefined},
    })
    expect(result.code, result.stderr).to.equal(1)
    expect(result.stderr).to.include('keyring_unavailable').and.include('hint:').and.include('DIFY_TOKEN_STORAGE=file difyctl auth login --host ')
    expect(result.stderr).to.not.include('not_logged_in')
    expect(await sessionRequests()).to.deep.equal([])
  })
})
