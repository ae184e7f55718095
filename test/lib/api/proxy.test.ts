import {expect} from 'chai'

import {bypassesProxy, chooseProxy} from '../../../src/lib/api/proxy.js'
import {DifyError} from '../../../src/lib/errors/dify-error.js'

const HTTPS_TARGET = new URL('https://api.example.com/openapi/v1/account')
const HTTP_TARGET = new URL('http://api.example.com:8080/openapi/v1/account')

function choice(target: URL, env: Record<string, string>): string | undefined {
  const chosen = chooseProxy(target, env)
  return chosen && `${chosen.variable} ${chosen.proxy.href}`
}

describe('api/proxy', () => {
  describe('chooseProxy', () => {
    const cases: Array<[string, URL, Record<string, string>, string | undefined]> = [
      ['no variables: direct', HTTPS_TARGET, {}, undefined],
      ['HTTPS_PROXY for an https target', HTTPS_TARGET, {HTTPS_PROXY: 'http://proxy:3128'}, 'HTTPS_PROXY http://proxy:3128/'],
      ['https_proxy for an https target', HTTPS_TARGET, {https_proxy: 'http://proxy:3128'}, 'https_proxy http://proxy:3128/'],
      ['lower case wins when both spellings are set', HTTPS_TARGET, {HTTPS_PROXY: 'http://upper:1', https_proxy: 'http://lower:2'}, 'https_proxy http://lower:2/'],
      ['an empty lower-case value counts as unset', HTTPS_TARGET, {HTTPS_PROXY: 'http://upper:1', https_proxy: ' '}, 'HTTPS_PROXY http://upper:1/'],
      ['HTTP_PROXY is not used for https targets', HTTPS_TARGET, {HTTP_PROXY: 'http://proxy:3128'}, undefined],
      ['HTTP_PROXY for an http target', HTTP_TARGET, {HTTP_PROXY: 'http://proxy:3128'}, 'HTTP_PROXY http://proxy:3128/'],
      ['http_proxy wins over HTTP_PROXY', HTTP_TARGET, {HTTP_PROXY: 'http://upper:1', http_proxy: 'http://lower:2'}, 'http_proxy http://lower:2/'],
      ['HTTPS_PROXY is not used for http targets', HTTP_TARGET, {HTTPS_PROXY: 'http://proxy:3128'}, undefined],
      ['a proxy without a scheme means http://', HTTPS_TARGET, {HTTPS_PROXY: 'proxy.corp:3128'}, 'HTTPS_PROXY http://proxy.corp:3128/'],
      ['an https:// proxy is kept', HTTPS_TARGET, {HTTPS_PROXY: 'https://proxy.corp:8443'}, 'HTTPS_PROXY https://proxy.corp:8443/'],
      ['NO_PROXY matching the host: direct', HTTPS_TARGET, {HTTPS_PROXY: 'http://p:1', NO_PROXY: 'api.example.com'}, undefined],
      ['no_proxy wins over NO_PROXY', HTTPS_TARGET, {HTTPS_PROXY: 'http://p:1', NO_PROXY: 'api.example.com', no_proxy: 'other.org'}, 'HTTPS_PROXY http://p:1/'],
      ['NO_PROXY not matching: proxied', HTTPS_TARGET, {HTTPS_PROXY: 'http://p:1', NO_PROXY: 'example.org'}, 'HTTPS_PROXY http://p:1/'],
    ]
    for (const [name, target, env, expected] of cases) {
      it(name, () => expect(choice(target, env)).to.equal(expected))
    }

    it('refuses a proxy URL it cannot use, naming the variable but not the value', () => {
      for (const value of ['socks5://user:secret@proxy:1080', 'http://']) {
        try {
          chooseProxy(HTTPS_TARGET, {https_proxy: value})
          expect.fail(`accepted ${value}`)
        } catch (error) {
          expect(error).to.be.instanceOf(DifyError)
          expect((error as DifyError).code).to.equal('usage_error')
          expect((error as DifyError).message).to.contain('https_proxy').and.not.to.contain('secret')
        }
      }
    })
  })

  describe('bypassesProxy (NO_PROXY matching)', () => {
    const cases: Array<[string, string, boolean]> = [
      // [NO_PROXY, target URL, bypassed]
      ['*', 'https://anything.example.com', true],
      ['', 'https://api.example.com', false],
      [' , ,', 'https://api.example.com', false],
      ['api.example.com', 'https://api.example.com', true],
      ['API.Example.COM', 'https://api.example.com', true],
      ['example.com', 'https://api.example.com', true],
      ['example.com', 'https://example.com', true],
      ['.example.com', 'https://api.example.com', true],
      ['.example.com', 'https://example.com', true],
      ['*.example.com', 'https://deep.api.example.com', true],
      ['example.com', 'https://badexample.com', false],
      ['example.com', 'https://example.com.evil.org', false],
      ['ample.com', 'https://example.com', false],
      ['example.com.', 'https://api.example.com', true],
      ['other.org, example.com', 'https://api.example.com', true],
      ['other.org  example.com', 'https://api.example.com', true],
      ['  example.com  ', 'https://api.example.com', true],
      ['example.com:443', 'https://api.example.com', true],
      ['example.com:443', 'https://api.example.com:8443', false],
      ['example.com:8080', 'http://api.example.com:8080', true],
      ['example.com:80', 'http://api.example.com', true],
      ['localhost', 'http://localhost:5001', true],
      ['127.0.0.1', 'http://127.0.0.1:5001', true],
      ['127.0.0.1:5001', 'http://127.0.0.1:5001', true],
      ['127.0.0.1:5002', 'http://127.0.0.1:5001', false],
      ['0.0.1', 'http://127.0.0.1:5001', false],
      ['10.0.0.0/8', 'http://10.1.2.3', true],
      ['10.0.0.0/8', 'http://11.1.2.3', false],
      ['10.0.0.0/8:80', 'http://10.1.2.3', true],
      ['10.0.0.0/8:81', 'http://10.1.2.3', false],
      ['10.0.0.0/99', 'http://10.1.2.3', false],
      ['::1', 'http://[::1]:5001', true],
      ['[::1]', 'http://[::1]:5001', true],
      ['[::1]:5001', 'http://[::1]:5001', true],
      ['[::1]:5002', 'http://[::1]:5001', false],
      ['[0:0:0:0:0:0:0:1]', 'http://[::1]:5001', true],
      ['fd00::/8', 'https://[fd12::5]', true],
      ['fd00::/8', 'https://[fe80::1]', false],
      ['localhost', 'http://127.0.0.1', false],
      ['127.0.0.1', 'http://localhost', false],
    ]
    for (const [noProxy, target, expected] of cases) {
      it(`NO_PROXY=${JSON.stringify(noProxy)} ${expected ? 'exempts' : 'does not exempt'} ${target}`, () => {
        expect(bypassesProxy(noProxy, new URL(target))).to.equal(expected)
      })
    }
  })
})
