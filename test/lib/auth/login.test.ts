import {expect} from 'chai'

import type {DeviceFlowTransport} from '../../../src/lib/api/device-flow.js'
import {login, type LoginOptions} from '../../../src/lib/auth/login.js'
import {DifyError} from '../../../src/lib/errors/dify-error.js'
import {ManualClock, MemoryHosts, ScriptedPrompter} from '../../support/fakes.js'
import {failure} from '../../support/failure.js'

type Answer = {status: number; body: unknown} | DifyError

const TOKEN = 'dfoa_' + 'A'.repeat(43)
const approved = {
  body: {
    account: {email: 'you@company.com', id: '3c90c3cc-0d44-4b50-8888-8dd25736052a', name: 'Your Name'},
    default_workspace_id: 'w2',
    expires_at: '2026-06-16T09:14:31.123456+00:00',
    subject_type: 'account',
    token: TOKEN,
    token_id: '7a1c0e2b-0000-4000-8000-000000000001',
    workspaces: [
      {id: 'w1', name: 'Other', role: 'normal'},
      {id: 'w2', name: 'Acme', role: 'owner'},
    ],
  },
  status: 200,
}
const pending = {body: {error: 'authorization_pending'}, status: 400}
const codeResponse = {
  body: {device_code: 'dc_' + 'x'.repeat(32), expires_in: 900, interval: 5, user_code: 'WDJP-XKLM', verification_uri: 'https://dify.example.com/device'},
  status: 200,
}

/** A scripted server: answers in order; records when (on the manual clock) each request came. */
class ScriptedTransport implements DeviceFlowTransport {
  readonly calls: Array<{path: string; at: number; body: unknown}> = []
  constructor(
    private readonly clock: ManualClock,
    private readonly answers: Answer[],
  ) {}

  async request<T>(request: {path: string; body: Record<string, unknown>}): Promise<{status: number; body: T}> {
    this.calls.push({at: this.clock.now(), body: request.body, path: request.path})
    const answer = this.answers.shift()
    if (!answer) throw new Error(`unexpected request to ${request.path}`)
    if (answer instanceof DifyError) throw answer
    return answer as {status: number; body: T}
  }

  polls() {
    return this.calls.filter((call) => call.path === 'oauth/device/token')
  }
}

function setup(answers: Answer[], overrides: Partial<LoginOptions> = {}) {
  const clock = new ManualClock()
  const transport = new ScriptedTransport(clock, [codeResponse, ...answers])
  const hosts = new MemoryHosts()
  const saved: Array<{ref: unknown; token: string}> = []
  const told: string[] = []
  const statusLines: string[] = []
  const options: LoginOptions = {
    allowHttp: false,
    checkTokenStorage: async () => {},
    clock,
    host: 'https://Dify.Example.COM:443/',
    hostname: 'build-runner-3',
    hosts,
    interactive: false,
    noBrowser: true,
    openBrowser: async () => ({opened: true}),
    prompter: new ScriptedPrompter(),
    removeToken: async () => {},
    async saveToken(ref, token) {
      saved.push({ref, token})
      return {storage: 'sealed-file'}
    },
    signal: new AbortController().signal,
    status: {notice: (text) => statusLines.push(text), start: (text) => statusLines.push(text), stop() {}, update: (text) => statusLines.push(text)},
    tell: (line) => told.push(line),
    transportFor: async () => transport,
    ...overrides,
  }
  return {clock, hosts, options, saved, statusLines, told, transport}
}


describe('auth/login (device flow)', () => {
  it('asks for a code with the documented body, prints the code and URL, polls after each interval, stores the context', async () => {
    const {hosts, options, saved, told, transport} = setup([pending, pending, approved])
    const result = await login(options)
    expect(transport.calls[0].body).to.deep.equal({client_id: 'difyctl', device_label: 'difyctl on build-runner-3'})
    expect(told.slice(0, 2)).to.deep.equal(['! Copy this one-time code: WDJP-XKLM', 'Open: https://dify.example.com/device'])
    const polls = transport.polls()
    expect(polls.map((poll) => poll.at - transport.calls[0].at)).to.deep.equal([5000, 10_000, 15_000])
    expect(polls[0].body).to.deep.equal({client_id: 'difyctl', device_code: codeResponse.body.device_code})
    expect(result.human).to.equal('✓ Logged in to dify.example.com as you@company.com (Your Name)\n  Workspace: Acme\n')
    expect(saved).to.deep.equal([{ref: {account: 'you@company.com', host: 'dify.example.com'}, token: TOKEN}])
    const entry = hosts.file.hosts['dify.example.com']
    expect(hosts.file.currentHost).to.equal('dify.example.com')
    expect(entry.baseUrl).to.equal('https://dify.example.com')
    expect(entry.accounts['you@company.com']).to.include({accountId: approved.body.account.id, tokenId: approved.body.token_id, tokenStorage: 'sealed-file'})
    expect(entry.accounts['you@company.com'].workspace).to.deep.equal({id: 'w2', name: 'Acme', role: 'owner'})
    expect(JSON.stringify(hosts.file)).not.to.include(TOKEN)
  })

  it('adds 5 s to the interval for the rest of the flow after slow_down', async () => {
    const slowDown = {body: {error: 'slow_down'}, status: 400}
    const {clock, options} = setup([slowDown, pending, pending, approved])
    await login(options)
    expect(clock.sleeps).to.deep.equal([5000, 10_000, 10_000, 10_000])
  })

  it('treats a missing or zero interval as 5 seconds', async () => {
    const {clock, options} = setup([approved])
    codeResponse.body.interval = 0
    try {
      await login(options)
    } finally {
      codeResponse.body.interval = 5
    }

    expect(clock.sleeps).to.deep.equal([5000])
  })

  it('stops at expires_in on its own, without polling past it (exit 4)', async () => {
    const {options, transport} = setup([pending, pending])
    codeResponse.body.expires_in = 12
    let error
    try {
      error = await failure(login(options))
    } finally {
      codeResponse.body.expires_in = 900
    }

    expect(error.code).to.equal('expired_token')
    expect(error.exitCode).to.equal(4)
    expect(transport.polls()).to.have.length(2)
  })

  for (const [answer, code] of [
    ['access_denied', 'access_denied'],
    ['expired_token', 'expired_token'],
  ] as const) {
    it(`${answer} ends the flow with exit 4 and writes nothing`, async () => {
      const {hosts, options, saved} = setup([pending, {body: {error: answer}, status: 400}])
      const error = await failure(login(options))
      expect(error.code).to.equal(code)
      expect(error.exitCode).to.equal(4)
      expect(saved).to.deep.equal([])
      expect(hosts.writes).to.equal(0)
    })
  }

  it('retries polls that hit a 5xx or a dropped connection, then succeeds', async () => {
    const {options} = setup([new DifyError('server_error', 'HTTP 502'), new DifyError('network_error', 'reset'), approved])
    const result = await login(options)
    expect(result.human).to.match(/^✓ Logged in/)
  })

  it('gives up after repeated server failures with the server error (exit 1)', async () => {
    const failures = Array.from({length: 5}, () => new DifyError('server_error', 'HTTP 503'))
    const error = await failure(login(setup(failures).options))
    expect(error.code).to.equal('server_error')
    expect(error.exitCode).to.equal(1)
  })

  it('an unknown error value, or a 200 without a token, is a protocol failure (exit 1)', async () => {
    expect((await failure(login(setup([{body: {error: 'teapot'}, status: 400}]).options))).code).to.equal('bad_response')
    expect((await failure(login(setup([{body: {token: ''}, status: 200}]).options))).code).to.equal('bad_response')
  })

  it('a 404 on the device route means the host has no device flow (exit 6)', async () => {
    const clock = new ManualClock()
    const transport = new ScriptedTransport(clock, [new DifyError('unsupported_endpoint', 'not found', {http: {status: 404}})])
    const error = await failure(login({...setup([]).options, transportFor: async () => transport}))
    expect(error.code).to.equal('unsupported_endpoint')
    expect(error.exitCode).to.equal(6)
  })

  it('Ctrl-C while waiting is an interruption (130) and nothing is written', async () => {
    const controller = new AbortController()
    const {hosts, options, saved} = setup([pending, pending], {signal: controller.signal})
    options.clock.sleep = async (_ms, signal) => {
      controller.abort(new DifyError('interrupted', 'interrupted'))
      throw signal?.reason
    }

    const error = await failure(login(options))
    expect(error.exitCode).to.equal(130)
    expect(saved).to.deep.equal([])
    expect(hosts.writes).to.equal(0)
  })

  it('F08: without --host and without a terminal, fails at once naming the flag, before any request', async () => {
    const {options, transport} = setup([])
    const error = await failure(login({...options, host: undefined}))
    expect(error.code).to.equal('missing_flag')
    expect(error.exitCode).to.equal(2)
    expect(error.message).to.include('--host')
    expect(transport.calls).to.deep.equal([])
  })

  it('refuses an http:// host without --insecure (exit 2), and accepts it with', async () => {
    const refused = await failure(login({...setup([]).options, host: 'http://127.0.0.1:5001'}))
    expect(refused.code).to.equal('insecure_host')
    expect(refused.exitCode).to.equal(2)
    const {hosts, options} = setup([approved])
    await login({...options, allowHttp: true, host: 'http://127.0.0.1:5001'})
    expect(hosts.file.hosts['127.0.0.1:5001'].baseUrl).to.equal('http://127.0.0.1:5001')
  })

  it('checks hosts.yml and the token store before asking for a code: a failure there sends nothing', async () => {
    const unusable = new DifyError('usage_error', 'DIFY_TOKEN_STORAGE must be one of auto, keychain, file (got "flie")')
    const {hosts, options, transport} = setup([approved], {
      checkTokenStorage: async () => {
        throw unusable
      },
    })
    expect(await failure(login(options))).to.equal(unusable)
    expect(transport.calls).to.deep.equal([])
    const corrupt = new DifyError('config_corrupt', 'hosts.yml:1: bad')
    hosts.update = async () => {
      throw corrupt
    }

    const second = setup([approved])
    second.options.hosts.update = hosts.update
    expect(await failure(login(second.options))).to.equal(corrupt)
    expect(second.transport.calls).to.deep.equal([])
  })

  it('prints why the browser was not opened', async () => {
    const {options, told} = setup([approved], {noBrowser: false, openBrowser: async () => ({opened: false, reason: 'this is an SSH session'})})
    await login(options)
    expect(told).to.include('Not opening a browser: this is an SSH session; open the URL above yourself.')
  })

  it('keeps an external-SSO subject by its email and issuer, with no workspace', async () => {
    const sso = {
      body: {account: null, default_workspace_id: null, expires_at: null, subject_email: 'sso@corp.example', subject_issuer: 'https://idp.corp.example', subject_type: 'external_sso', token: 'dfoe_' + 'B'.repeat(43), token_id: 't1', workspaces: []},
      status: 200,
    }
    const {hosts, options} = setup([sso])
    const result = await login(options)
    expect(result.human).to.equal('✓ Logged in to dify.example.com as sso@corp.example\n  Workspace: none\n')
    expect(hosts.file.hosts['dify.example.com'].accounts['sso@corp.example']).to.include({subjectIssuer: 'https://idp.corp.example', subjectType: 'external_sso'})
  })
})
