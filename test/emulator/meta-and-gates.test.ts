import {expect} from 'chai'

import {startTestEmulator} from '../support/emulator.js'
import type {TestEmulator} from '../support/emulator.js'
import {api, expectErrorBody, login, rawHttp, request} from './http.js'

describe('emulator: meta endpoints, route misses and switches', () => {
  let emu: TestEmulator
  before(async () => {
    emu = await startTestEmulator()
  })
  after(() => emu.close())
  beforeEach(() => emu.control.reset({config: true}))

  it('answers _version and _health, following server_version and edition', async () => {
    expect((await api.get(emu, '_version')).json).to.deep.equal({edition: 'SELF_HOSTED', version: '1.18.0'})
    expect((await api.get(emu, '_health')).json).to.deep.equal({ok: true})
    await emu.control.patchConfig({edition: 'CLOUD', server_version: '1.19.2'})
    expect((await api.get(emu, '_version')).json).to.deep.equal({edition: 'CLOUD', version: '1.19.2'})
  })

  it('answers an unknown path with 404 not_found and a wrong method with 405 method_not_allowed', async () => {
    expectErrorBody(await api.get(emu, 'no/such/route'), 404, 'not_found', 'Not Found')
    expectErrorBody(await api.get(emu, 'account/sessions/'), 404, 'not_found')
    expectErrorBody(await api.get(emu, 'oauth/device/code'), 405, 'method_not_allowed', 'Method Not Allowed')
    expectErrorBody(await api.post(emu, 'account/sessions', {}), 405, 'method_not_allowed')
    expectErrorBody(await request(emu.url, 'GET', 'account/sessions/self'), 405, 'method_not_allowed')
  })

  describe('version gate (§9)', () => {
    const withUa = (path: string, ua: string | null, method = 'GET') =>
      request(emu.url, method, path, {headers: ua === null ? {} : {'User-Agent': ua}})

    it('refuses an older difyctl with 426, the exact message and the hint', async () => {
      await emu.control.patchConfig({min_client_version: '0.2.0-alpha'})
      const answer = await withUa('oauth/device/lookup?user_code=X', 'difyctl/0.1.0 (linux; x64)')
      expect(answer.status).to.equal(426)
      expect(answer.json).to.deep.equal({
        code: 'upgrade_required',
        hint: 'Upgrade difyctl: https://docs.dify.ai/en/cli/install',
        message: 'difyctl 0.1.0 is no longer supported; upgrade to >= 0.2.0-alpha.',
        status: 426,
      })
    })

    it('comes first: device flow, bearer routes and unknown paths are gated, _version and _health are not', async () => {
      await emu.control.patchConfig({min_client_version: '1.0.0'})
      const old = 'difyctl/0.9.9 (darwin; arm64)'
      for (const [method, path] of [
        ['POST', 'oauth/device/code'],
        ['POST', 'oauth/device/token'],
        ['GET', 'account/sessions'],
        ['DELETE', 'account/sessions/self'],
        ['GET', 'no/such/route'],
        ['GET', 'oauth/device/code'],
      ]) {
        expect((await withUa(path, old, method)).status, `${method} ${path}`).to.equal(426)
      }

      expect((await withUa('_version', old)).status).to.equal(200)
      expect((await withUa('_health', old)).status).to.equal(200)
      expect((await fetch(`${emu.url}/device`, {headers: {'User-Agent': old}})).status).to.equal(200)
    })

    it('compares numerically, pre-releases below their release (dev < alpha/a < beta/b < rc), then by number', async () => {
      const cases: Array<[string, string, boolean]> = [
        ['0.2.0', '0.1.9', true],
        ['0.2.0', '0.2.0', false],
        ['0.2.0', '0.10.0', false],
        ['0.10.0', '0.9.0', true],
        ['1.0.0', '0.99.99', true],
        ['0.2.0', '0.2.0-rc.1', true],
        ['0.2.0-rc.1', '0.2.0-rc.1', false],
        ['0.2.0-rc.2', '0.2.0-rc.10', false],
        ['0.2.0-rc.10', '0.2.0-rc.2', true],
        ['0.2.0-alpha', '0.2.0-dev.5', true],
        ['0.2.0-alpha', '0.2.0-a.1', false],
        ['0.2.0-beta', '0.2.0-alpha.9', true],
        ['0.2.0-b.1', '0.2.0-beta.1', false],
        ['0.2.0-rc', '0.2.0-beta.3', true],
        ['0.2.0-alpha.2', '0.2.0-alpha.1', true],
        ['0.2.0-alpha', '0.1.5', true],
        ['0.2.0-alpha', '0.2.1-dev', false],
      ]
      for (const [minimum, sent, refused] of cases) {
        await emu.control.patchConfig({min_client_version: minimum})
        const answer = await withUa('_nope', `difyctl/${sent} (linux; x64)`)
        expect(answer.status === 426, `min ${minimum}, sent ${sent}`).to.equal(refused)
        if (refused) expect(answer.json.message).to.equal(`difyctl ${sent} is no longer supported; upgrade to >= ${minimum}.`)
      }
    })

    it('fails open for a missing, foreign or unparseable User-Agent', async () => {
      await emu.control.patchConfig({min_client_version: '9.0.0'})
      expect((await rawHttp(emu.url, 'GET', '/openapi/v1/_nope')).status, 'no User-Agent').to.equal(404)
      for (const ua of ['curl/8.5.0', 'Mozilla/5.0 difyctl/0.1.0', 'difyctl/banana', 'difyctl/1.2', 'difyctl/1.2.3-weird.1', 'difyctl']) {
        expect((await withUa('_nope', ua)).status, String(ua)).to.equal(404)
      }
    })

    it('is off by default', async () => {
      expect((await withUa('_nope', 'difyctl/0.0.1 (linux; x64)')).status).to.equal(404)
    })
  })

  describe('OpenAPI disabled (§10)', () => {
    it('answers every path under /openapi/v1/ with a 404 HTML page, while the control API keeps working', async () => {
      const me = await login(emu)
      await emu.control.patchConfig({min_client_version: '9.9.9', openapi_enabled: false})
      for (const [method, path] of [
        ['POST', 'oauth/device/code'],
        ['POST', 'oauth/device/token'],
        ['GET', 'oauth/device/lookup?user_code=AAAA-BBBB'],
        ['POST', 'oauth/device/approve'],
        ['GET', 'account/sessions'],
        ['GET', 'account'],
        ['DELETE', 'account/sessions/self'],
        ['GET', '_version'],
        ['GET', '_health'],
        ['GET', 'anything/else'],
      ]) {
        const answer = await request(emu.url, method, path, {token: me.token})
        expect(answer.status, path).to.equal(404)
        expect(answer.headers.get('content-type')).to.match(/^text\/html/)
        expect(answer.text).to.match(/<html/i)
        expect(answer.json).to.equal(undefined)
      }

      expect((await emu.control.sessions())[0].revoked_at).to.equal(null)
      await emu.control.patchConfig({min_client_version: null, openapi_enabled: true})
      expect((await api.get(emu, 'account', {token: me.token})).status).to.equal(200)
    })
  })

  describe('configuration through the control API', () => {
    it('reads and merges knobs, rate limits per bucket', async () => {
      const knobs = await emu.control.patchConfig({rate_limits: {lookup: {limit: 3}}})
      expect(knobs.rate_limits.lookup).to.deep.equal({limit: 3, window_s: 300})
      expect(knobs.rate_limits.device_code).to.deep.equal({limit: 60, window_s: 3600})
      expect((await emu.control.config()).interval_s).to.equal(5)
    })

    it('refuses unknown knobs and bad values with 400, changing nothing', async () => {
      for (const patch of [{nope: 1}, {interval_s: -1}, {rate_limits: {bogus: {limit: 1}}}, {invalid_bearer_status: 404}, {min_client_version: 'v1'}, {auto_decide: {action: 'maybe'}}]) {
        const answer = await emu.control.raw('PATCH', 'config', patch)
        expect(answer.status, JSON.stringify(patch)).to.equal(400)
        expect((answer.body as {code: string}).code).to.equal('bad_request')
      }

      expect((await emu.control.config()).interval_s).to.equal(5)
    })

    it('refuses knobs naming an account that is not configured, and accounts that would orphan them', async () => {
      for (const patch of [{demo_account: 'ghost@example.com'}, {auto_decide: {account: 'ghost@example.com', action: 'approve', after_polls: 1}}]) {
        const answer = await emu.control.raw('PATCH', 'config', patch)
        expect(answer.status).to.equal(400)
        expect((answer.body as {message: string}).message).to.include('ghost@example.com')
      }

      await emu.control.putAccounts([
        {email: 'demo@example.com', name: 'Demo User'},
        {email: 'b@example.com', name: 'B'},
      ])
      await emu.control.patchConfig({demo_account: 'b@example.com'})
      expect((await emu.control.raw('PUT', 'accounts', [{email: 'demo@example.com', name: 'Demo User'}])).status).to.equal(400)
      const page = await (await fetch(`${emu.url}/device`)).text()
      expect(page).to.include('<span id="signed-in-email">b@example.com</span>')
      expect((await login(emu)).account.email).to.equal('b@example.com')
    })

    it('replaces accounts with PUT, deriving ids that are stable', async () => {
      const accounts = await emu.control.putAccounts([{email: 'x@example.com', name: 'X', workspaces: [{name: 'W', role: 'admin'}]}])
      expect(accounts[0].id).to.match(/^[0-9a-f-]{36}$/)
      expect(accounts[0].workspaces[0].id).to.match(/^[0-9a-f-]{36}$/)
      expect(await emu.control.putAccounts([{email: 'x@example.com', name: 'X', workspaces: [{name: 'W', role: 'admin'}]}])).to.deep.equal(accounts)
      expect((await emu.control.raw('PUT', 'accounts', [])).status).to.equal(400)
      const me = await login(emu, {email: 'x@example.com'})
      expect(me.account.email).to.equal('x@example.com')
    })
  })
})
