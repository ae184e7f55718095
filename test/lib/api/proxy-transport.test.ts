import {execFile} from 'node:child_process'
import {fileURLToPath} from 'node:url'

import {expect} from 'chai'

import {createHttpClient} from '../../../src/lib/api/http-client.js'
import {DifyError} from '../../../src/lib/errors/dify-error.js'
import {type ConnectProxy, startConnectProxy} from '../../support/connect-proxy.js'
import {instantClock} from '../../support/instant-clock.js'
import {type ScriptedServer, sendJson, startScriptedServer} from '../../support/scripted-server.js'
import {makeTestPki, type TestPki} from '../../support/tls.js'

const ROOT = fileURLToPath(new URL('../../../', import.meta.url))
const FIXTURE = fileURLToPath(new URL('fixtures/request-once.ts', import.meta.url))
const PROXY_VARIABLES = ['HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy', 'NO_PROXY', 'no_proxy', 'ALL_PROXY', 'all_proxy', 'NODE_EXTRA_CA_CERTS']

interface ChildResult {
  status?: number
  body?: unknown
  error?: {code: string; message: string; hint?: string}
}

/** Runs the fixture in a fresh Node process (NODE_EXTRA_CA_CERTS is read only at start-up). */
function requestInChild(baseUrl: string, path: string, env: Record<string, string>): Promise<ChildResult> {
  const childEnv: Record<string, string | undefined> = {...process.env}
  for (const name of PROXY_VARIABLES) delete childEnv[name]
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['--import', 'tsx', FIXTURE, baseUrl, path], {cwd: ROOT, env: {...childEnv, ...env}, timeout: 20_000}, (error, stdout, stderr) => {
      if (error) {
        reject(new Error(`child failed: ${error.message}\n${stderr}`))
        return
      }

      resolve(JSON.parse(stdout.trim().split('\n').at(-1)!) as ChildResult)
    })
  })
}

describe('api/http-client through proxies (F12)', function () {
  this.timeout(30_000)
  let proxy: ConnectProxy
  let plain: ScriptedServer

  beforeEach(async () => {
    proxy = await startConnectProxy()
    plain = await startScriptedServer((request, response) => sendJson(response, 200, {ua: request.headers['user-agent']}))
  })

  afterEach(async () => {
    await Promise.all([proxy.close(), plain.close()])
  })

  function client(baseUrl: string, env: Record<string, string>) {
    return createHttpClient({baseUrl, clock: instantClock(), env, retry: {attempts: 1, baseDelayMs: 0}, userAgent: 'difyctl/9.9.9 (linux; x64)'})
  }

  it('sends an http request to HTTP_PROXY in absolute form', async () => {
    const response = await client(plain.url, {HTTP_PROXY: proxy.url}).request({method: 'GET', path: '_version'})
    expect(response.body).to.deep.equal({ua: 'difyctl/9.9.9 (linux; x64)'})
    expect(proxy.seen.map((seen) => [seen.method, seen.target, seen.headers.host])).to.deep.equal([
      ['GET', `${plain.url}/openapi/v1/_version`, new URL(plain.url).host],
    ])
    expect(plain.requests.map((request) => request.url)).to.deep.equal(['/openapi/v1/_version'])
  })

  it('goes direct for an http target listed in NO_PROXY', async () => {
    await client(plain.url, {HTTP_PROXY: proxy.url, NO_PROXY: 'example.com, 127.0.0.1'}).request({method: 'GET', path: '_version'})
    expect(proxy.seen).to.deep.equal([])
    expect(plain.requests).to.have.length(1)
  })

  it('fails with network_error naming the proxy when the proxy is down', async () => {
    const down = await startConnectProxy()
    await down.close()
    try {
      await client('https://dify.example.com', {HTTPS_PROXY: down.url}).request({method: 'GET', path: '_version'})
      expect.fail('request succeeded')
    } catch (error) {
      expect(error).to.be.instanceOf(DifyError)
      expect((error as DifyError).code).to.equal('network_error')
      expect((error as DifyError).message).to.contain(`through the proxy ${new URL(down.url).host} (from HTTPS_PROXY)`)
    }
  })

  it('fails with network_error when the proxy refuses the tunnel', async () => {
    const refusing = await startConnectProxy({refuseWith: 407})
    try {
      await client('https://dify.example.com', {https_proxy: refusing.url}).request({method: 'GET', path: '_version'})
      expect.fail('request succeeded')
    } catch (error) {
      expect((error as DifyError).code).to.equal('network_error')
      expect((error as DifyError).message).to.contain('407')
      expect(refusing.seen.map((seen) => [seen.method, seen.target])).to.deep.equal([['CONNECT', 'dify.example.com:443']])
    } finally {
      await refusing.close()
    }
  })

  describe('https targets with a private CA', () => {
    let pki: TestPki
    let secure: ScriptedServer

    before(() => {
      pki = makeTestPki()
    })

    after(() => pki.remove())

    beforeEach(async () => {
      secure = await startScriptedServer((request, response) => sendJson(response, 200, {path: request.url}), {tls: {cert: pki.cert, key: pki.key}})
    })

    afterEach(() => secure.close())

    it('tunnels through HTTPS_PROXY with CONNECT, and TLS trusts NODE_EXTRA_CA_CERTS', async () => {
      const result = await requestInChild(secure.url, '_health', {HTTPS_PROXY: proxy.url, NODE_EXTRA_CA_CERTS: pki.caPath})
      expect(result).to.deep.equal({body: {path: '/openapi/v1/_health'}, status: 200})
      expect(proxy.seen.map((seen) => [seen.method, seen.target])).to.deep.equal([['CONNECT', `localhost:${secure.port}`]])
      expect(secure.requests).to.have.length(1)
    })

    it('goes direct when NO_PROXY matches the host: the proxy sees nothing', async () => {
      const result = await requestInChild(secure.url, '_health', {HTTPS_PROXY: proxy.url, NODE_EXTRA_CA_CERTS: pki.caPath, NO_PROXY: 'localhost'})
      expect(result.status).to.equal(200)
      expect(proxy.seen).to.deep.equal([])
      expect(secure.requests).to.have.length(1)
    })

    it('without the CA, fails with tls_error pointing at NODE_EXTRA_CA_CERTS', async () => {
      const result = await requestInChild(secure.url, '_health', {})
      expect(result.error?.code).to.equal('tls_error')
      expect(result.error?.message).to.contain(`TLS connection to localhost:${secure.port} failed`)
      expect(result.error?.hint).to.contain('NODE_EXTRA_CA_CERTS')
      expect(secure.requests).to.have.length(0)
    })
  })
})
