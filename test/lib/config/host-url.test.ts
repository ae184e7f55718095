import {expect} from 'chai'

import {hostKeyOf, parseHostInput} from '../../../src/lib/config/host-url.js'
import {failure} from '../../support/failure.js'

describe('config/host-url', () => {
  it('F07: normalises case, the default port and trailing slashes into one key', () => {
    expect(parseHostInput('https://Dify.Example.COM:443/', {allowHttp: false})).to.deep.equal({
      baseUrl: 'https://dify.example.com',
      insecure: false,
      key: 'dify.example.com',
      origin: 'https://dify.example.com',
    })
    expect(hostKeyOf('DIFY.example.com')).to.equal('dify.example.com')
    expect(hostKeyOf('https://dify.example.com:443/x')).to.equal('dify.example.com')
  })

  it('defaults to https, keeps a non-default port and a path prefix', () => {
    const parsed = parseHostInput('tools.acme.com:8443/dify/', {allowHttp: false})
    expect(parsed).to.include({baseUrl: 'https://tools.acme.com:8443/dify', key: 'tools.acme.com:8443'})
  })

  it('forgives a pasted /console/api or /openapi/v1 suffix, keeping any prefix', () => {
    expect(parseHostInput('https://x.com/console/api', {allowHttp: false}).baseUrl).to.equal('https://x.com')
    expect(parseHostInput('https://x.com/dify/openapi/v1/', {allowHttp: false}).baseUrl).to.equal('https://x.com/dify')
  })

  it('refuses http without --insecure (insecure_host, exit 2), other schemes, queries and credentials', async () => {
    const insecure = await failure(Promise.resolve().then(() => parseHostInput('http://127.0.0.1:5001', {allowHttp: false})))
    expect(insecure.code).to.equal('insecure_host')
    expect(insecure.exitCode).to.equal(2)
    expect(parseHostInput('http://127.0.0.1:5001', {allowHttp: true}).key).to.equal('127.0.0.1:5001')
    for (const bad of ['ftp://x.com', 'https://x.com?a=b', 'https://u:p@x.com', '', 'https://']) {
      const error = await failure(Promise.resolve().then(() => parseHostInput(bad, {allowHttp: false})))
      expect(error.exitCode, bad).to.equal(2)
    }
  })

  it('brackets IPv6 hosts in the key', () => {
    expect(parseHostInput('http://[::1]:5001', {allowHttp: true}).key).to.equal('[::1]:5001')
  })
})
