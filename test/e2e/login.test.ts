import {expect} from 'chai'
import {readFileSync, writeFileSync} from 'node:fs'
import path from 'node:path'

import {runCli, tempState, type CliState} from '../support/cli.js'
import {filesUnder, loginAs} from '../support/e2e.js'
import {startTestEmulator, type TestEmulator} from '../support/emulator.js'

const SUCCESS = /^✓ Logged in to 127\.0\.0\.1:\d+ as demo@example\.com \(Demo User\)\n {2}Workspace: Demo Workspace\n$/

describe('e2e: auth login / logout against the emulator', function () {
  this.timeout(120_000)
  let emulator: TestEmulator
  let state: CliState

  beforeEach(async () => {
    emulator = await startTestEmulator()
    state = tempState()
  })

  afterEach(async () => {
    await emulator.close()
    state.cleanup()
  })

  const login = (extra: string[] = [], env: Record<string, string | undefined> = {}) =>
    runCli(['auth', 'login', '--host', emulator.url, '--insecure', '--no-browser', ...extra], {env: {...state.env, ...env}})

  it('signs in: code prompt on stderr, exactly the two success lines on stdout, state on disk without the token', async () => {
    await emulator.control.patchConfig({auto_decide: {action: 'approve', after_polls: 2}, interval_s: 1})
    const result = await login()
    expect(result.code, result.stderr).to.equal(0)
    expect(result.stdout).to.match(SUCCESS)
    expect(result.stderr).to.match(/^! Copy this one-time code: [A-Z3-9]{4}-[A-Z3-9]{4}$/m)
    expect(result.stderr).to.include(`Open: ${emulator.url}/device`)

    const requests = await emulator.control.requests()
    const polls = requests.filter((entry) => entry.path.endsWith('/oauth/device/token'))
    expect(polls).to.have.length(2)
    for (const entry of requests) {
      expect(entry.headers['user-agent']).to.match(/^difyctl\/\d+\.\d+\.\d+(-[\w.]+)? \(linux; (x64|arm64)\)$/)
      expect(entry.headers.authorization, 'no bearer on device-flow routes').to.equal(undefined)
    }

    const hostsYml = readFileSync(path.join(state.configDir, 'hosts.yml'), 'utf8')
    expect(hostsYml).to.include('demo@example.com')
    expect(hostsYml).not.to.match(/dfoa_/)
    for (const file of filesUnder(state.configDir, state.dataDir)) {
      expect(file.content.toString('latin1'), file.file).not.to.match(/dfoa_[\w-]{43}/)
      expect(file.mode, `${file.file} mode`).to.equal(0o600)
    }

    const whoami = await runCli(['auth', 'whoami', '--json'], {env: state.env})
    expect(JSON.parse(whoami.stdout)).to.deep.equal({email: 'demo@example.com', id: '5b0c1f9e-4a7d-4c21-9e3a-2f6d8b1a7c01', name: 'Demo User'})
  })

  it('denied in the browser → exit 4, nothing stored', async () => {
    await emulator.control.patchConfig({auto_decide: {action: 'deny', after_polls: 1}, interval_s: 1})
    const result = await login()
    expect(result.code).to.equal(4)
    expect(result.stderr).to.match(/^access_denied: /m)
    expect(result.stdout).to.equal('')
    expect(filesUnder(state.configDir, state.dataDir).filter((file) => !file.file.endsWith('.lock'))).to.deep.equal([])
  })

  it('a code that expires unapproved → exit 4 (expired_token)', async () => {
    await emulator.control.patchConfig({expires_in_s: 3, interval_s: 1})
    const result = await login()
    expect(result.code).to.equal(4)
    expect(result.stderr).to.match(/^expired_token: /m)
  })

  it('a host without the device flow (OpenAPI disabled: 404) → exit 6', async () => {
    await emulator.control.patchConfig({openapi_enabled: false})
    const result = await login()
    expect(result.code).to.equal(6)
    expect(result.stderr).to.match(/^unsupported_endpoint: /m)
  })

  it('an unknown client → exit 6; a rate-limited code request (429) → exit 7 without retrying', async () => {
    await emulator.control.patchConfig({known_client_ids: ['someone-else']})
    expect((await login()).code).to.equal(6)
    await emulator.control.patchConfig({known_client_ids: ['difyctl'], rate_limits: {device_code: {limit: 1, window_s: 3600}}})
    await emulator.control.reset()
    await emulator.control.patchConfig({auto_decide: {action: 'approve', after_polls: 0}, interval_s: 1})
    expect((await login()).code).to.equal(0)
    const limited = await login()
    expect(limited.code).to.equal(7)
    expect(limited.stderr).to.match(/^rate_limited: /m)
    const codeRequests = (await emulator.control.requests()).filter((entry) => entry.path.endsWith('/oauth/device/code'))
    expect(codeRequests).to.have.length(2)
  })

  it('an http:// host without --insecure → exit 2 before any request', async () => {
    const result = await runCli(['auth', 'login', '--host', emulator.url, '--no-browser'], {env: state.env})
    expect(result.code).to.equal(2)
    expect(result.stderr).to.match(/^insecure_host: /m)
    expect(await emulator.control.requests()).to.deep.equal([])
  })

  it('F08: no --host with stdin not a terminal → immediate exit 2 naming the flag, nothing on stdout', async () => {
    const result = await runCli(['auth', 'login'], {env: state.env, timeoutMs: 10_000})
    expect(result.code).to.equal(2)
    expect(result.stderr).to.include('--host')
    expect(result.stdout).to.equal('')
  })

  it('a dead server → exit 1 with a readable network error, no stack trace', async () => {
    const url = emulator.url
    await emulator.close()
    const result = await runCli(['auth', 'login', '--host', url, '--insecure', '--no-browser'], {env: state.env})
    expect(result.code).to.equal(1)
    expect(result.stderr).to.match(/^network_error: /m)
    expect(result.stderr).not.to.match(/\n\s+at /)
    emulator = await startTestEmulator()
  })

  for (const [name, fault, code] of [
    ['an HTML 502 page on the code request', {body: '<html><body>502 Bad Gateway</body></html>', content_type: 'text/html', count: 1, route: 'POST oauth/device/code', status: 502}, 'server_error'],
    ['a non-JSON 200 poll', {body: 'OK', content_type: 'text/plain', count: 1, route: 'POST oauth/device/token', status: 200}, 'bad_response'],
    ['a 200 poll without a token', {body: {token_id: 'x'}, count: 1, route: 'POST oauth/device/token', status: 200}, 'bad_response'],
    ['an unknown error value', {body: {error: 'teapot'}, count: 1, route: 'POST oauth/device/token', status: 400}, 'bad_response'],
    ['connection resets on every poll', {action: 'reset', count: 10, route: 'POST oauth/device/token'}, 'network_error'],
  ] as const) {
    it(`${name} → exit 1 (${code}), readable, no stack trace`, async () => {
      await emulator.control.patchConfig({interval_s: 1})
      await emulator.control.addFault(fault as never)
      const result = await login()
      expect(result.code, result.stderr).to.equal(1)
      expect(result.stderr).to.match(new RegExp(`^${code}: `, 'm'))
      expect(result.stderr).not.to.match(/\n\s+at /)
      expect(result.stdout).to.equal('')
    })
  }

  it('a reset mid-poll is retried and the sign-in still succeeds', async () => {
    await emulator.control.patchConfig({auto_decide: {action: 'approve', after_polls: 2}, interval_s: 1})
    await emulator.control.addFault({action: 'reset', count: 1, route: 'POST oauth/device/token', skip: 1})
    const result = await login()
    expect(result.code, result.stderr).to.equal(0)
  })

  it('F11: under CI, stdout holds only the two success lines and stderr has no spinner frames or escapes', async () => {
    await emulator.control.patchConfig({auto_decide: {action: 'approve', after_polls: 2}, interval_s: 1})
    const result = await login([], {CI: 'true'})
    expect(result.code).to.equal(0)
    expect(result.stdout.split('\n').filter(Boolean)).to.have.length(2)
    expect(result.stderr).not.to.include('\u001B')
    expect(result.stderr).not.to.include('\r')
    expect(result.stderr).not.to.match(/[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏]/)
  })

  it('re-login to the same host and account refreshes the one context: new token_id, the old token dead', async () => {
    await loginAs(emulator, state)
    const first = readFileSync(path.join(state.configDir, 'hosts.yml'), 'utf8').match(/token_id: (\S+)/)![1]
    await loginAs(emulator, state)
    const hostsYml = readFileSync(path.join(state.configDir, 'hosts.yml'), 'utf8')
    const second = hostsYml.match(/token_id: (\S+)/)![1]
    expect(second).not.to.equal(first)
    const list = await runCli(['auth', 'list', '-o', 'json'], {env: state.env})
    expect(JSON.parse(list.stdout).contexts).to.have.length(1)
    const sessions = await emulator.control.sessions()
    expect(sessions.find((session) => session.id === first.replaceAll('"', ''))?.revoked_by).to.equal('rotation')
  })

  it('two accounts on one host, and a second host, each add a context; the newest is active', async () => {
    await emulator.control.putAccounts([
      {email: 'demo@example.com', name: 'Demo User', workspaces: [{current: true, name: 'Demo Workspace', role: 'owner'}]},
      {email: 'bot@example.com', name: 'Bot', workspaces: [{name: '12.10', role: 'normal'}]},
    ])
    await loginAs(emulator, state, 'demo@example.com')
    await loginAs(emulator, state, 'bot@example.com')
    const other = await startTestEmulator()
    try {
      await loginAs(other, state)
      const list = await runCli(['auth', 'list', '-o', 'json'], {env: state.env})
      const contexts = JSON.parse(list.stdout).contexts
      expect(contexts).to.have.length(3)
      expect(contexts.filter((context: {active: boolean}) => context.active)).to.deep.equal([
        {account: 'demo@example.com', active: true, host: new URL(other.url).host, name: 'Demo User'},
      ])
    } finally {
      await other.close()
    }
  })

  it('logout revokes sessions/self, removes only that context, and the token then gets 401', async () => {
    await loginAs(emulator, state)
    const other = await startTestEmulator()
    try {
      await loginAs(other, state)
      await runCli(['use', 'host', '--domain', new URL(emulator.url).host], {env: state.env})
      await emulator.control.clearRequests()
      const result = await runCli(['auth', 'logout'], {env: state.env})
      expect(result.code, result.stderr).to.equal(0)
      expect(result.stdout).to.equal(`✓ Logged out of ${new URL(emulator.url).host}\n`)
      expect(result.stderr).to.include(`Active context is now demo@example.com on ${new URL(other.url).host}`)
      const requests = await emulator.control.requests()
      expect(requests.map((entry) => `${entry.method} ${entry.path} ${entry.status}`)).to.deep.equal(['DELETE /openapi/v1/account/sessions/self 200'])
      const sessions = await emulator.control.sessions()
      expect(sessions.every((session) => session.revoked_by === 'self')).to.equal(true)
      const list = await runCli(['auth', 'list', '-o', 'name'], {env: state.env})
      expect(list.stdout).to.equal('demo@example.com\n')
      expect(JSON.parse((await runCli(['auth', 'list', '-o', 'json'], {env: state.env})).stdout).contexts[0].host).to.equal(new URL(other.url).host)
    } finally {
      await other.close()
    }
  })

  it('logout with a dead token or no server warns, still cleans up locally, exits 0', async () => {
    await loginAs(emulator, state)
    const url = emulator.url
    await emulator.close()
    const result = await runCli(['auth', 'logout'], {env: state.env})
    expect(result.code, result.stderr).to.equal(0)
    expect(result.stderr).to.match(/^warning: could not revoke the session/m)
    expect((await runCli(['auth', 'whoami'], {env: state.env})).code).to.equal(4)
    emulator = await startTestEmulator()
    void url
  })

  it('fails before the device flow starts when the token could not be kept: nothing is sent, the old sign-in survives', async () => {
    await loginAs(emulator, state)
    await emulator.control.clearRequests()
    const badSetting = await login([], {DIFY_TOKEN_STORAGE: 'flie'})
    expect(badSetting.code).to.equal(2)
    expect(badSetting.stderr).to.match(/^usage_error: DIFY_TOKEN_STORAGE must be one of/m)
    const noKeychain = await login([], {DBUS_SESSION_BUS_ADDRESS: undefined, DIFY_TOKEN_STORAGE: 'keychain'})
    expect(noKeychain.code).to.equal(1)
    expect(noKeychain.stderr).to.match(/^keyring_unavailable: /m)
    expect(await emulator.control.requests()).to.deep.equal([])
    const list = await runCli(['auth', 'devices', 'list', '--json'], {env: state.env})
    expect(list.code, 'the previous sign-in still works').to.equal(0)

    writeFileSync(path.join(state.configDir, 'hosts.yml'), 'hosts: [')
    await emulator.control.clearRequests()
    const corrupt = await login()
    expect(corrupt.code).to.equal(1)
    expect(corrupt.stderr).to.match(/^config_corrupt: /m)
    expect(await emulator.control.requests()).to.deep.equal([])
  })

  it('hints are commands that work when pasted: an http host gets --insecure', async () => {
    await loginAs(emulator, state)
    const sessions = await emulator.control.sessions()
    await runCli(['auth', 'devices', 'revoke', sessions[0].id], {env: state.env})
    const whoami = await runCli(['auth', 'whoami'], {env: state.env})
    expect(whoami.code).to.equal(4)
    const hint = /^hint: run '(.*)'$/m.exec(whoami.stderr)![1]
    expect(hint).to.equal(`difyctl auth login --host ${emulator.url} --insecure`)
    await emulator.control.patchConfig({auto_decide: {action: 'approve', after_polls: 1}, interval_s: 1})
    const pasted = await runCli([...hint.split(' ').slice(1), '--no-browser'], {env: state.env})
    expect(pasted.code, pasted.stderr).to.equal(0)
  })

  it('a server that changes the case of an account email leaves one context, not a dead twin', async () => {
    await emulator.control.putAccounts([{email: 'Pat@Example.com', id: '11111111-2222-4333-8444-555555555555', name: 'Pat', workspaces: [{current: true, name: 'W', role: 'owner'}]}])
    await loginAs(emulator, state, 'Pat@Example.com')
    await emulator.control.putAccounts([{email: 'pat@example.com', id: '11111111-2222-4333-8444-555555555555', name: 'Pat', workspaces: [{current: true, name: 'W', role: 'owner'}]}])
    await loginAs(emulator, state, 'pat@example.com')
    const names = await runCli(['auth', 'list', '-o', 'name'], {env: state.env})
    expect(names.stdout).to.equal('pat@example.com\n')
    expect((await runCli(['use', 'account', '--email', 'PAT@example.com'], {env: state.env})).code).to.equal(0)
    expect((await runCli(['auth', 'devices', 'list'], {env: state.env})).code).to.equal(0)
  })

  it('logout when not signed in → exit 4', async () => {
    const result = await runCli(['auth', 'logout'], {env: state.env})
    expect(result.code).to.equal(4)
    expect(result.stderr).to.match(/^not_logged_in: /m)
  })
})
