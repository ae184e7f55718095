import {expect} from 'chai'

import {runCli, tempState, type CliState} from '../support/cli.js'
import {type ConnectProxy, startConnectProxy} from '../support/connect-proxy.js'
import {loginAs} from '../support/e2e.js'
import {startTestEmulator, type TestEmulator} from '../support/emulator.js'

// The https half of F12 (CONNECT through HTTPS_PROXY to a TLS host, NO_PROXY going direct) is proven
// for the HTTP client in test/lib/api/proxy-transport.test.ts, in a child process with a test CA.
// This is the whole CLI, as a user runs it, with a real proxy on loopback.
describe('e2e: proxies from the environment (F12)', function () {
  this.timeout(60_000)
  let emulator: TestEmulator
  let proxy: ConnectProxy
  let state: CliState

  beforeEach(async () => {
    emulator = await startTestEmulator()
    proxy = await startConnectProxy()
    state = tempState()
  })
  afterEach(async () => {
    await emulator.close()
    await proxy.close()
    state.cleanup()
  })

  it('HTTP_PROXY carries sign-in and session requests through the proxy', async () => {
    await loginAs(emulator, state, undefined, {env: {HTTP_PROXY: proxy.url}})
    const list = await runCli(['auth', 'devices', 'list', '--json'], {env: {...state.env, http_proxy: proxy.url}})
    expect(list.code, list.stderr).to.equal(0)
    const targets = proxy.seen.map((request) => `${request.method} ${new URL(request.target).pathname}`)
    expect(targets).to.include('POST /openapi/v1/oauth/device/code')
    expect(targets).to.include('GET /openapi/v1/account/sessions')
  })

  it('NO_PROXY matching the host sends requests direct: the proxy sees nothing', async () => {
    await loginAs(emulator, state, undefined, {env: {HTTP_PROXY: proxy.url, NO_PROXY: '127.0.0.1'}})
    expect(proxy.seen).to.deep.equal([])
  })

  it('a proxy that is down is a network error naming the proxy (exit 1), not a hang', async () => {
    const deadProxy = proxy.url
    await proxy.close()
    const result = await runCli(['auth', 'login', '--host', emulator.url, '--insecure', '--no-browser'], {env: {...state.env, HTTP_PROXY: deadProxy}, timeoutMs: 20_000})
    expect(result.code).to.equal(1)
    expect(result.stderr).to.match(/^network_error: /)
    expect(result.stderr).to.include(new URL(deadProxy).host)
    proxy = await startConnectProxy()
  })
})
