import {inspect} from 'node:util'

import {expect} from 'chai'

import {apiUrl, createHttpClient, type HttpClientOptions} from '../../../src/lib/api/http-client.js'
import {systemClock} from '../../../src/lib/io/system.js'
import {type InstantClock, instantClock} from '../../support/instant-clock.js'
import {type ScriptedHandler, scriptedServers, sendJson} from '../../support/scripted-server.js'
import {failure} from '../../support/failure.js'

const UA = 'difyctl/1.2.3 (linux; x64)'
const TOKEN = 'dfoa_' + 'A'.repeat(43)

const serve = scriptedServers()

function clientFor(baseUrl: string, overrides: Partial<HttpClientOptions> = {}) {
  const clock = (overrides.clock as InstantClock | undefined) ?? instantClock()
  return {
    client: createHttpClient({
      baseUrl,
      clock,
      env: {},
      random: () => 0.5,
      retry: {attempts: 3, baseDelayMs: 100},
      token: TOKEN,
      userAgent: UA,
      ...overrides,
    }),
    clock,
  }
}


const ok: ScriptedHandler = (_request, response) => sendJson(response, 200, {ok: true})

describe('api/http-client', () => {
  describe('apiUrl', () => {
    it('joins base, /openapi/v1/ and the path with exactly one slash, keeping a path prefix', () => {
      expect(apiUrl('https://x.com', 'account').href).to.equal('https://x.com/openapi/v1/account')
      expect(apiUrl('https://x.com/', '/account').href).to.equal('https://x.com/openapi/v1/account')
      expect(apiUrl('https://x.com/dify', 'oauth/device/code').href).to.equal('https://x.com/dify/openapi/v1/oauth/device/code')
      expect(apiUrl('https://x.com/dify//', '//oauth/device/code').href).to.equal('https://x.com/dify/openapi/v1/oauth/device/code')
    })

    it('adds query parameters and skips undefined ones', () => {
      expect(apiUrl('https://x.com', 'account/sessions', {limit: 200, page: 2, skip: undefined}).href).to.equal(
        'https://x.com/openapi/v1/account/sessions?limit=200&page=2',
      )
    })
  })

  it('sends requests under the base path prefix with the query', async () => {
    const server = await serve(ok)
    const {client} = clientFor(`${server.url}/dify/`)
    const response = await client.request({method: 'GET', path: '/account/sessions', query: {limit: 50, page: 2}})
    expect(response.status).to.equal(200)
    expect(response.body).to.deep.equal({ok: true})
    expect(server.requests.map((request) => request.url)).to.deep.equal(['/dify/openapi/v1/account/sessions?limit=50&page=2'])
  })

  it('sends the User-Agent and Accept on every request, and a JSON body with Content-Type on POST only', async () => {
    const server = await serve(ok)
    const {client} = clientFor(server.url)
    await client.request({method: 'GET', path: '_version'})
    await client.request({body: {client_id: 'difyctl', device_label: 'difyctl on box'}, method: 'POST', path: 'oauth/device/code'})
    await client.request({authenticated: true, method: 'DELETE', path: 'account/sessions/self'})
    await client.request({method: 'POST', path: 'oauth/device/token'})

    expect(server.requests.map((request) => request.headers['user-agent'])).to.deep.equal([UA, UA, UA, UA])
    expect(server.requests.map((request) => request.headers.accept)).to.deep.equal(Array.from({length: 4}, () => 'application/json'))
    expect(server.requests.map((request) => request.headers['content-type'])).to.deep.equal([undefined, 'application/json', undefined, 'application/json'])
    expect(JSON.parse(server.requests[1].body)).to.deep.equal({client_id: 'difyctl', device_label: 'difyctl on box'})
    expect(server.requests[3].body).to.equal('{}')
    expect(server.requests[0].body).to.equal('')
  })

  it('refuses a body on GET', async () => {
    const {client} = clientFor('http://127.0.0.1:9')
    const error = await failure(client.request({body: {a: 1}, method: 'GET', path: 'account'}))
    expect(error.code).to.equal('internal_error')
  })

  it('sends Authorization only on authenticated requests, even when the client holds a token', async () => {
    const server = await serve(ok)
    const {client} = clientFor(server.url)
    await client.request({method: 'GET', path: '_version'})
    await client.request({method: 'POST', path: 'oauth/device/code'})
    await client.request({authenticated: true, method: 'GET', path: 'account/sessions'})
    expect(server.requests.map((request) => request.headers.authorization)).to.deep.equal([undefined, undefined, `Bearer ${TOKEN}`])
  })

  it('fails with not_logged_in before sending when an authenticated request has no token', async () => {
    const server = await serve(ok)
    const {client} = clientFor(server.url, {token: undefined})
    const error = await failure(client.request({authenticated: true, method: 'GET', path: 'account'}))
    expect(error.code).to.equal('not_logged_in')
    expect(server.requests).to.have.length(0)
  })

  describe('redirects', () => {
    it('follows a same-origin 307 and keeps the token on it', async () => {
      const server = await serve((request, response) => {
        if (request.url === '/openapi/v1/account') {
          response.writeHead(307, {location: '/openapi/v1/account/'}).end()
          return
        }

        sendJson(response, 200, {moved: true})
      })
      const {client} = clientFor(server.url)
      const response = await client.request({authenticated: true, method: 'GET', path: 'account'})
      expect(response.body).to.deep.equal({moved: true})
      expect(server.requests.map((request) => [request.url, request.headers.authorization])).to.deep.equal([
        ['/openapi/v1/account', `Bearer ${TOKEN}`],
        ['/openapi/v1/account/', `Bearer ${TOKEN}`],
      ])
    })

    it('does not follow a redirect to another origin: the other server never sees the token', async () => {
      const other = await serve(ok)
      const server = await serve((_request, response) => {
        response.writeHead(302, {location: `${other.url}/steal?x=1`}).end()
      })
      const {client} = clientFor(server.url)
      const error = await failure(client.request({authenticated: true, method: 'GET', path: 'account/sessions'}))
      expect(error.code).to.equal('bad_response')
      expect(error.message).to.contain(`${other.url}/steal`).and.to.contain('the token was not sent there')
      expect(error.hint).to.contain(`--host ${other.url}`)
      expect(other.requests).to.have.length(0)
      expect(inspect(error, {depth: 10})).not.to.contain(TOKEN)
    })

    it('does not turn a POST into a GET on a 302', async () => {
      const server = await serve((request, response) => {
        if (request.method === 'POST') response.writeHead(302, {location: '/openapi/v1/elsewhere'}).end()
        else sendJson(response, 200, {})
      })
      const {client} = clientFor(server.url)
      const error = await failure(client.request({method: 'POST', path: 'oauth/device/code'}))
      expect(error.code).to.equal('bad_response')
      expect(server.requests).to.have.length(1)
    })

    it('stops after a few redirects', async () => {
      const server = await serve((request, response) => {
        response.writeHead(302, {location: `${request.url}x`}).end()
      })
      const {client} = clientFor(server.url)
      const error = await failure(client.request({method: 'GET', path: 'a'}))
      expect(error.code).to.equal('bad_response')
      expect(error.message).to.contain('more than 5 times')
      expect(server.requests).to.have.length(6)
    })
  })

  describe('retries', () => {
    it('retries a GET on 5xx with growing backoff, then succeeds', async () => {
      const server = await serve((_request, response, index) => {
        if (index < 2) sendJson(response, 502, {code: 'bad_gateway', message: 'Internal Server Error', status: 502})
        else sendJson(response, 200, {data: []})
      })
      const {client, clock} = clientFor(server.url)
      const response = await client.request({authenticated: true, method: 'GET', path: 'account/sessions'})
      expect(response.body).to.deep.equal({data: []})
      expect(server.requests).to.have.length(3)
      // base 100 ms doubling, half fixed and half jitter (random = 0.5)
      expect((clock as InstantClock).sleeps).to.deep.equal([75, 150])
    })

    it('gives up after the configured attempts with server_error counting them', async () => {
      const server = await serve((_request, response) => sendJson(response, 503, {code: 'unknown', message: 'Internal Server Error', status: 503}))
      const {client} = clientFor(server.url)
      const error = await failure(client.request({method: 'DELETE', path: 'account/sessions/self', authenticated: true}))
      expect(error.code).to.equal('server_error')
      expect(error.exitCode).to.equal(1)
      expect(error.message).to.contain('HTTP 503 after 3 attempts')
      expect(error.http).to.include({method: 'DELETE', status: 503})
      expect(server.requests).to.have.length(3)
    })

    it('never retries a POST on 5xx', async () => {
      const server = await serve((_request, response) => sendJson(response, 500, {code: 'internal_server_error', message: 'Internal Server Error', status: 500}))
      const {client, clock} = clientFor(server.url)
      const error = await failure(client.request({body: {client_id: 'difyctl', device_label: 'x'}, method: 'POST', path: 'oauth/device/code'}))
      expect(error.code).to.equal('server_error')
      expect(server.requests).to.have.length(1)
      expect((clock as InstantClock).sleeps).to.deep.equal([])
    })

    it('maps a reset connection to network_error naming the host, after retrying a GET', async () => {
      const server = await serve((_request, response) => response.socket?.destroy())
      const {client} = clientFor(server.url)
      const error = await failure(client.request({method: 'GET', path: '_health'}))
      expect(error.code).to.equal('network_error')
      expect(error.message).to.contain(new URL(server.url).host).and.to.contain('3 attempts')
      expect(error.hint).to.match(/network\/proxy/)
      expect(server.requests).to.have.length(3)
    })

    it('does not retry a POST whose connection was reset', async () => {
      const server = await serve((_request, response) => response.socket?.destroy())
      const {client} = clientFor(server.url)
      const error = await failure(client.request({method: 'POST', path: 'oauth/device/code'}))
      expect(error.code).to.equal('network_error')
      expect(server.requests).to.have.length(1)
    })

    it('maps a refused connection to network_error naming the host', async () => {
      const server = await serve(ok)
      const {url} = server
      await server.close()
      const {client} = clientFor(url, {retry: {attempts: 1, baseDelayMs: 0}})
      const error = await failure(client.request({method: 'GET', path: '_version'}))
      expect(error.code).to.equal('network_error')
      expect(error.message).to.equal(`${new URL(url).host} refused the connection`)
    })
  })

  it('times out a request that gets no answer', async () => {
    const server = await serve(() => {})
    const {client} = clientFor(server.url, {retry: {attempts: 1, baseDelayMs: 0}, timeoutMs: 200})
    const started = Date.now()
    const error = await failure(client.request({method: 'GET', path: 'account', authenticated: true}))
    expect(error.code).to.equal('timeout')
    expect(error.message).to.contain('did not answer within 200ms')
    expect(Date.now() - started).to.be.below(3000)
  })

  describe('429', () => {
    it('waits out a short Retry-After with one notice, then succeeds', async () => {
      const server = await serve((_request, response, index) => {
        if (index === 0) sendJson(response, 429, {code: 'too_many_requests', message: 'rate_limited', status: 429}, {'retry-after': '1'})
        else sendJson(response, 200, {data: []})
      })
      const notices: string[] = []
      const {client, clock} = clientFor(server.url, {onNotice: (line) => notices.push(line)})
      const response = await client.request({authenticated: true, method: 'GET', path: 'account/sessions'})
      expect(response.status).to.equal(200)
      expect(notices).to.deep.equal([`rate limited by ${new URL(server.url).host}; waiting 1s as the server asked`])
      expect((clock as InstantClock).sleeps).to.deep.equal([1000])
      expect(server.requests).to.have.length(2)
    })

    it('honours an HTTP-date Retry-After', async () => {
      const clock = instantClock(Date.UTC(2026, 0, 1, 0, 0, 0))
      const server = await serve((_request, response, index) => {
        if (index === 0) sendJson(response, 429, {}, {'retry-after': 'Thu, 01 Jan 2026 00:00:05 GMT'})
        else sendJson(response, 200, {})
      })
      const {client} = clientFor(server.url, {clock})
      await client.request({method: 'GET', path: 'account', authenticated: true})
      expect(clock.sleeps).to.deep.equal([5000])
    })

    it('F13: fails promptly with rate_limited (exit 7) and the advised wait when Retry-After is 3600', async () => {
      const server = await serve((_request, response) =>
        sendJson(response, 429, {code: 'too_many_requests', message: 'rate_limited', status: 429}, {'retry-after': '3600'}),
      )
      const notices: string[] = []
      const {client} = clientFor(server.url, {clock: systemClock, onNotice: (line) => notices.push(line)})
      const started = Date.now()
      const error = await failure(client.request({authenticated: true, method: 'GET', path: 'account/sessions'}))
      expect(Date.now() - started).to.be.below(1000)
      expect(error.code).to.equal('rate_limited')
      expect(error.exitCode).to.equal(7)
      expect(error.message).to.contain('server asked to wait 3600s (1h)')
      expect(error.hint).to.equal('try again in 1h')
      expect(notices).to.deep.equal([])
      expect(server.requests).to.have.length(1)
    })

    it('fails with rate_limited at once when there is no Retry-After', async () => {
      const server = await serve((_request, response) => sendJson(response, 429, {code: 'too_many_requests', message: 'rate_limited', status: 429}))
      const {client, clock} = clientFor(server.url)
      const error = await failure(client.request({method: 'POST', path: 'oauth/device/code'}))
      expect(error.code).to.equal('rate_limited')
      expect(error.message).to.contain('did not say for how long')
      expect(server.requests).to.have.length(1)
      expect((clock as InstantClock).sleeps).to.deep.equal([])
    })

    it('stops waiting after a bounded number of waits', async () => {
      const server = await serve((_request, response) => sendJson(response, 429, {}, {'retry-after': '2'}))
      const notices: string[] = []
      const {client, clock} = clientFor(server.url, {onNotice: (line) => notices.push(line)})
      const error = await failure(client.request({authenticated: true, method: 'GET', path: 'account/sessions'}))
      expect(error.code).to.equal('rate_limited')
      expect(error.message).to.contain('still limited after waiting 3 times; server asked to wait 2s')
      expect(notices).to.have.length(3)
      expect((clock as InstantClock).sleeps).to.deep.equal([2000, 2000, 2000])
      expect(server.requests).to.have.length(4)
    })

    it('retries a POST after a short Retry-After, unless the caller opts out', async () => {
      const script: ScriptedHandler = (_request, response, index) => {
        if (index === 0) sendJson(response, 429, {}, {'retry-after': '1'})
        else sendJson(response, 200, {ok: true})
      }

      const retried = await serve(script)
      await clientFor(retried.url).client.request({method: 'POST', path: 'oauth/device/token'})
      expect(retried.requests).to.have.length(2)

      const once = await serve(script)
      const error = await failure(clientFor(once.url).client.request({method: 'POST', path: 'oauth/device/code', retryOn429: false}))
      expect(error.code).to.equal('rate_limited')
      expect(error.message).to.contain('server asked to wait 1s')
      expect(once.requests).to.have.length(1)
    })
  })

  describe('status mapping on real answers', () => {
    it('426 → upgrade_required with the server hint', async () => {
      const server = await serve((_request, response) =>
        sendJson(response, 426, {
          code: 'upgrade_required',
          hint: 'Upgrade difyctl: https://docs.dify.ai/en/cli/install',
          message: 'difyctl 1.2.3 is no longer supported; upgrade to >= 2.0.0.',
          status: 426,
        }),
      )
      const error = await failure(clientFor(server.url).client.request({method: 'POST', path: 'oauth/device/code'}))
      expect(error.code).to.equal('upgrade_required')
      expect(error.exitCode).to.equal(6)
      expect(error.message).to.equal('difyctl 1.2.3 is no longer supported; upgrade to >= 2.0.0.')
      expect(error.hint).to.equal('Upgrade difyctl: https://docs.dify.ai/en/cli/install')
    })

    it('401 → auth_expired with a sign-in hint that works when pasted', async () => {
      const server = await serve((_request, response) =>
        sendJson(response, 401, {code: 'unauthorized', message: 'invalid bearer', status: 401}, {'www-authenticate': 'Bearer realm="api"'}),
      )
      const error = await failure(clientFor(`${server.url}/dify`).client.request({authenticated: true, method: 'GET', path: 'account/sessions'}))
      expect(error.code).to.equal('auth_expired')
      expect(error.exitCode).to.equal(4)
      expect(error.hint).to.equal(`sign in again: difyctl auth login --host ${server.url}/dify --insecure`)
      expect(error.http).to.deep.include({method: 'GET', status: 401, url: `${server.url}/dify/openapi/v1/account/sessions`})
      expect(error.http?.server).to.deep.equal({code: 'unauthorized', message: 'invalid bearer', status: 401})
    })

    it('non-JSON 502 page → server_error with a short excerpt and no stack', async () => {
      const page = '<html>\n<head><title>502 Bad Gateway</title></head>\n<body>\n<center><h1>502 Bad Gateway</h1></center>\n<hr><center>nginx</center>\n</body>\n</html>\n'
      const server = await serve((_request, response) => {
        response.writeHead(502, {'content-type': 'text/html'})
        response.end(page)
      })
      const error = await failure(clientFor(server.url).client.request({authenticated: true, method: 'GET', path: 'account/sessions'}))
      expect(error.code).to.equal('server_error')
      expect(error.message).to.equal(`${new URL(server.url).host} answered HTTP 502 after 3 attempts: 502 Bad Gateway 502 Bad Gateway nginx`)
      expect(error.http?.server).to.equal('502 Bad Gateway 502 Bad Gateway nginx')
      expect(error.message).not.to.match(/\n\s+at /)
    })

    it('2xx that is not JSON → bad_response', async () => {
      const server = await serve((_request, response) => {
        response.writeHead(200, {'content-type': 'text/html'})
        response.end('<!doctype html><title>Dify</title><p>Welcome</p>')
      })
      const error = await failure(clientFor(server.url).client.request({method: 'GET', path: '_version'}))
      expect(error.code).to.equal('bad_response')
      expect(error.message).to.contain('not JSON').and.to.contain('Dify Welcome')
    })

    it('hands accepted statuses back with their JSON body (the RFC bodies of the device-flow poll)', async () => {
      const server = await serve((_request, response) => sendJson(response, 400, {error: 'authorization_pending'}))
      const response = await clientFor(server.url).client.request({acceptStatuses: [400], body: {client_id: 'difyctl', device_code: 'dc_x'}, method: 'POST', path: 'oauth/device/token'})
      expect(response).to.deep.include({body: {error: 'authorization_pending'}, status: 400})
    })

    it('still fails an accepted status whose body is not JSON', async () => {
      const server = await serve((_request, response) => response.writeHead(404, {'content-type': 'text/html'}).end('<h1>Not Found</h1>'))
      const error = await failure(clientFor(server.url).client.request({acceptStatuses: [404], method: 'POST', path: 'oauth/device/code'}))
      expect(error.code).to.equal('unsupported_endpoint')
    })

    it('returns the token of a successful poll untouched, but never echoes it in an error', async () => {
      const server = await serve((request, response) => {
        if (request.url.endsWith('token')) sendJson(response, 200, {token: TOKEN})
        else sendJson(response, 500, {echo: request.headers.authorization})
      })
      const {client} = clientFor(server.url, {retry: {attempts: 1, baseDelayMs: 0}})
      const poll = await client.request<{token: string}>({method: 'POST', path: 'oauth/device/token'})
      expect(poll.body.token).to.equal(TOKEN)
      const error = await failure(client.request({authenticated: true, method: 'GET', path: 'account'}))
      expect(error.code).to.equal('server_error')
      expect(inspect(error, {depth: 10})).not.to.contain(TOKEN)
      expect(JSON.stringify(error.http)).not.to.contain(TOKEN)
    })
  })

  describe('cancellation', () => {
    it('aborts an in-flight request → interrupted', async () => {
      const server = await serve(() => {})
      const controller = new AbortController()
      const {client} = clientFor(server.url, {signal: controller.signal})
      setTimeout(() => controller.abort(), 50)
      const started = Date.now()
      const error = await failure(client.request({method: 'GET', path: 'account', authenticated: true}))
      expect(error.code).to.equal('interrupted')
      expect(error.exitCode).to.equal(130)
      expect(Date.now() - started).to.be.below(2000)
    })

    it('aborts a Retry-After wait → interrupted', async () => {
      const server = await serve((_request, response) => sendJson(response, 429, {}, {'retry-after': '30'}))
      const controller = new AbortController()
      const {client} = clientFor(server.url, {clock: systemClock})
      setTimeout(() => controller.abort(), 50)
      const started = Date.now()
      const error = await failure(client.request({authenticated: true, method: 'GET', path: 'account', signal: controller.signal}))
      expect(error.code).to.equal('interrupted')
      expect(Date.now() - started).to.be.below(2000)
      expect(server.requests).to.have.length(1)
    })

    it('sends nothing when already aborted', async () => {
      const server = await serve(ok)
      const {client} = clientFor(server.url)
      const error = await failure(client.request({method: 'GET', path: '_version', signal: AbortSignal.abort()}))
      expect(error.code).to.equal('interrupted')
      expect(server.requests).to.have.length(0)
    })
  })
})
