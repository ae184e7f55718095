import {expect} from 'chai'

import {displayUrl, errorForStatus, errorForTransport, readBody} from '../../../src/lib/api/http-errors.js'

const URL_ = new URL('https://dify.example.com/dify/openapi/v1/account/sessions?page=2&limit=200')
const TOKEN = 'dfoa_' + 'Z'.repeat(43)

function mapped(status: number, body: unknown, extra: {authenticated?: boolean; method?: string} = {}) {
  return errorForStatus({
    authenticated: extra.authenticated ?? true,
    baseUrl: 'https://dify.example.com/dify',
    body: typeof body === 'string' ? body : JSON.stringify(body),
    method: extra.method ?? 'GET',
    status,
    url: URL_,
  })
}

function errorBody(status: number, code: string, message: string, more: Record<string, unknown> = {}) {
  return {code, message, status, ...more}
}

describe('api/http-errors', () => {
  describe('errorForStatus', () => {
    const table: Array<[number, unknown, string, {authenticated?: boolean}?]> = [
      [200, '<html>hi</html>', 'bad_response'],
      [302, '', 'bad_response'],
      [400, errorBody(400, 'bad_request', 'Bad Request'), 'bad_response'],
      [401, errorBody(401, 'unauthorized', 'invalid bearer'), 'auth_expired'],
      [401, errorBody(401, 'unauthorized', 'bearer required'), 'auth_expired', {authenticated: false}],
      [403, errorBody(403, 'forbidden', 'unsupported_token_type'), 'unsupported_token_type'],
      [403, errorBody(403, 'forbidden', 'unsupported_token_type'), 'unsupported_token_type', {authenticated: false}],
      [403, errorBody(403, 'forbidden', 'something else'), 'unsupported_token_type'],
      [403, errorBody(403, 'forbidden', 'Forbidden'), 'bad_response', {authenticated: false}],
      [404, '<h1>Not Found</h1>', 'unsupported_endpoint'],
      [404, errorBody(404, 'not_found', 'Not Found'), 'unsupported_endpoint'],
      [405, errorBody(405, 'method_not_allowed', 'Method Not Allowed'), 'unsupported_endpoint'],
      [409, {error: 'already_resolved'}, 'bad_response'],
      [422, errorBody(422, 'invalid_param', 'Request validation failed'), 'usage_error'],
      [426, errorBody(426, 'upgrade_required', 'too old', {hint: 'upgrade'}), 'upgrade_required'],
      [429, errorBody(429, 'too_many_requests', 'rate_limited'), 'rate_limited'],
      [500, errorBody(500, 'internal_server_error', 'Internal Server Error'), 'server_error'],
      [502, '<html>bad gateway</html>', 'server_error'],
      [503, '', 'server_error'],
      [418, 'teapot', 'bad_response'],
    ]
    for (const [status, body, code, extra] of table) {
      it(`${status}${extra?.authenticated === false ? ' (unauthenticated)' : ''} ${JSON.stringify(body).slice(0, 40)} → ${code}`, () => {
        const error = mapped(status, body, extra)
        expect(error.code).to.equal(code)
        expect(error.http?.status).to.equal(status)
        expect(error.http?.method).to.equal('GET')
      })
    }

    it('attaches the parsed ErrorBody, or an excerpt of anything else', () => {
      expect(mapped(400, {error: 'unsupported_client'}).http?.server).to.deep.equal({error: 'unsupported_client'})
      expect(mapped(500, 'Traceback (most recent call last):\n  File "x"').http?.server).to.equal('Traceback (most recent call last): File "x"')
      expect(mapped(503, '').http?.server).to.equal(undefined)
    })

    it('422 names the rejected parameters from details', () => {
      const error = mapped(
        422,
        errorBody(422, 'invalid_param', 'Request validation failed', {
          details: [{loc: ['limit'], msg: 'Input should be less than or equal to 200', type: 'less_than_equal'}],
        }),
      )
      expect(error.message).to.equal('dify.example.com rejected a parameter: Request validation failed (limit: Input should be less than or equal to 200)')
    })

    it('426 passes the server hint through, with a default when absent', () => {
      expect(mapped(426, errorBody(426, 'upgrade_required', 'too old', {hint: 'Upgrade difyctl: https://x'})).hint).to.equal('Upgrade difyctl: https://x')
      expect(mapped(426, '<html>').hint).to.equal('upgrade difyctl to the latest version')
    })

    it('401 hints at signing in again to the same base URL', () => {
      expect(mapped(401, errorBody(401, 'unauthorized', 'invalid bearer')).hint).to.equal('sign in again: difyctl auth login --host https://dify.example.com/dify')
    })

    it('404 names the endpoint that is missing', () => {
      expect(mapped(404, '', {method: 'POST'}).message).to.equal('dify.example.com has no endpoint POST /dify/openapi/v1/account/sessions (HTTP 404)')
    })

    it('429 says how long the server asked to wait', () => {
      const input = {body: '', method: 'GET', status: 429, url: URL_}
      expect(errorForStatus({...input, retryAfterS: 7200}).message).to.equal('rate limited by dify.example.com (HTTP 429): server asked to wait 7200s (2h)')
      expect(errorForStatus({...input, rateLimitWaits: 1, retryAfterS: 5}).message).to.contain('still limited after waiting 1 time; server asked to wait 5s')
      expect(errorForStatus({...input, retryAfterS: 5}).hint).to.equal('try again in 5s')
    })

    it('never repeats a token the server echoed', () => {
      const error = errorForStatus({body: JSON.stringify({got: `Bearer ${TOKEN}`, other: 'dfoe_abcdefghijkl'}), method: 'GET', status: 500, token: TOKEN, url: URL_})
      expect(JSON.stringify(error.http)).not.to.contain(TOKEN).and.not.to.contain('dfoe_abcdefghijkl')
      expect(error.http?.server).to.deep.equal({got: 'Bearer [redacted]', other: '[redacted]'})
    })
  })

  describe('errorForTransport', () => {
    const url = new URL('https://dify.example.com/openapi/v1/account')
    const coded = (code: string, message = code) => Object.assign(new Error(message), {code})
    const cases: Array<[Error, string, RegExp]> = [
      [coded('ECONNREFUSED', 'connect ECONNREFUSED 1.2.3.4:443'), 'network_error', /^dify\.example\.com refused the connection$/],
      [coded('ENOTFOUND', 'getaddrinfo ENOTFOUND dify.example.com'), 'network_error', /^cannot resolve dify\.example\.com$/],
      [coded('ECONNRESET', 'read ECONNRESET'), 'network_error', /closed before an answer arrived/],
      [coded('EPIPE', 'write EPIPE'), 'network_error', /closed before an answer arrived/],
      [new Error('socket hang up'), 'network_error', /closed before an answer arrived/],
      [Object.assign(coded('ETIMEDOUT', 'Timeout awaiting request'), {name: 'TimeoutError'}), 'timeout', /did not answer within 15s/],
      [coded('SELF_SIGNED_CERT_IN_CHAIN', 'self-signed certificate in certificate chain'), 'tls_error', /TLS connection to dify\.example\.com failed/],
      [coded('ERR_TLS_CERT_ALTNAME_INVALID', "Hostname/IP does not match certificate's altnames"), 'tls_error', /TLS/],
      [coded('CERT_HAS_EXPIRED', 'certificate has expired'), 'tls_error', /certificate has expired/],
    ]
    for (const [error, code, message] of cases) {
      it(`${(error as {code?: string}).code ?? error.message} → ${code}`, () => {
        const mappedError = errorForTransport({error, method: 'GET', timeoutMs: 15_000, url})
        expect(mappedError.code).to.equal(code)
        expect(mappedError.message).to.match(message)
        expect(mappedError.http).to.deep.equal({method: 'GET', url: url.href})
      })
    }

    it('hints at the network for network errors and at NODE_EXTRA_CA_CERTS for TLS errors', () => {
      expect(errorForTransport({error: coded('ECONNREFUSED'), method: 'GET', timeoutMs: 1, url}).hint).to.equal('check the host and your network/proxy settings')
      expect(errorForTransport({error: coded('UNABLE_TO_VERIFY_LEAF_SIGNATURE'), method: 'GET', timeoutMs: 1, url}).hint).to.contain('NODE_EXTRA_CA_CERTS')
    })

    it('names the proxy, without its credentials, when the request went through one', () => {
      const error = errorForTransport({
        attempts: 3,
        error: new Error('Bad response: 407'),
        method: 'GET',
        proxy: {proxy: new URL('http://user:secret@proxy.corp:3128'), variable: 'HTTPS_PROXY'},
        timeoutMs: 1,
        url,
      })
      expect(error.code).to.equal('network_error')
      expect(error.message).to.equal('cannot reach dify.example.com through the proxy proxy.corp:3128 (from HTTPS_PROXY): Bad response: 407 (3 attempts)')
      expect(error.hint).to.contain('NO_PROXY')
      expect(error.message + error.hint).not.to.contain('secret')
    })

    it('keeps only the code and message of the underlying error as its cause', () => {
      const original = Object.assign(coded('ECONNRESET'), {options: {headers: {authorization: `Bearer ${TOKEN}`}}})
      const error = errorForTransport({error: original, method: 'GET', timeoutMs: 1, url})
      expect(error.cause).not.to.equal(original)
      expect(JSON.stringify(error.cause)).not.to.contain(TOKEN)
      expect((error.cause as {code?: string}).code).to.equal('ECONNRESET')
    })
  })

  describe('displayUrl', () => {
    it('drops user info and fragments and hides query values other than page and limit', () => {
      expect(displayUrl(new URL('https://u:p@x.com/openapi/v1/account/sessions?page=2&limit=5#frag'))).to.equal(
        'https://x.com/openapi/v1/account/sessions?page=2&limit=5',
      )
      expect(displayUrl(new URL('https://x.com/openapi/v1/oauth/device/lookup?user_code=WDJP-XKLM'))).to.equal(
        'https://x.com/openapi/v1/oauth/device/lookup?user_code=REDACTED',
      )
    })
  })

  describe('readBody', () => {
    it('shortens long non-JSON bodies to one line', () => {
      const {excerpt} = readBody(`<html><style>p{}</style><script>alert(1)</script><p>${'x '.repeat(200)}</p></html>`)
      expect(excerpt).to.have.length(161)
      expect(excerpt).to.match(/^x x x/).and.to.match(/…$/)
    })
  })
})
