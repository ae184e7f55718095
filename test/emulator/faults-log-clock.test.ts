import {expect} from 'chai'

import {startTestEmulator} from '../support/emulator.js'
import type {TestEmulator} from '../support/emulator.js'
import {api, expectErrorBody, expectRfc, login, newCode, poll, rawHttp, request} from './http.js'

describe('emulator: faults, request log and clock', () => {
  let emu: TestEmulator
  before(async () => {
    emu = await startTestEmulator()
  })
  after(() => emu.close())
  beforeEach(() => emu.control.reset({config: true}))

  describe('faults', () => {
    it('answers with the status and a default ErrorBody, count times, then normally', async () => {
      await emu.control.addFault({count: 2, route: 'GET account/sessions', status: 502})
      const {token} = await login(emu)
      expectErrorBody(await api.get(emu, 'account/sessions', {token}), 502, 'bad_gateway', 'Internal Server Error')
      expectErrorBody(await api.get(emu, 'account/sessions', {token}), 502, 'bad_gateway')
      expect((await api.get(emu, 'account/sessions', {token})).status).to.equal(200)
    })

    it('lets the first skip matching requests through', async () => {
      await emu.control.addFault({count: 1, route: 'GET _health', skip: 2, status: 503})
      const statuses = []
      for (let i = 0; i < 4; i++) statuses.push((await api.get(emu, '_health')).status)
      expect(statuses).to.deep.equal([200, 200, 503, 200])
    })

    it('sends an object body as JSON, a string raw with content_type, and extra headers', async () => {
      await emu.control.addFault({body: {error: 'weird_new_error'}, route: 'POST oauth/device/token', status: 400})
      await emu.control.addFault({body: '<html>Bad Gateway</html>', content_type: 'text/html', headers: {'X-Upstream': 'nginx'}, route: 'POST oauth/device/token', status: 502})
      await emu.control.addFault({body: {device_code: 'x'}, route: 'POST oauth/device/token', status: 200})
      expectRfc(await poll(emu, 'dc_x'), 400, 'weird_new_error')
      const html = await poll(emu, 'dc_x')
      expect([html.status, html.text, html.headers.get('content-type'), html.headers.get('x-upstream')]).to.deep.equal([502, '<html>Bad Gateway</html>', 'text/html', 'nginx'])
      const tokenless = await poll(emu, 'dc_x')
      expect([tokenless.status, tokenless.json]).to.deep.equal([200, {device_code: 'x'}])
    })

    it('has no other effect: no poll timestamp, no consumption, no rate counting', async () => {
      await emu.control.patchConfig({rate_limits: {device_code: {limit: 1}}})
      await emu.control.addFault({count: 3, route: 'POST oauth/device/code', status: 500})
      for (let i = 0; i < 3; i++) expect((await api.post(emu, 'oauth/device/code', {client_id: 'difyctl', device_label: 'x'})).status).to.equal(500)
      const code = await newCode(emu)
      await emu.control.approve(code.user_code)
      await emu.control.addFault({count: 2, route: 'POST oauth/device/token', status: 503})
      expect((await poll(emu, code.device_code)).status).to.equal(503)
      expect((await poll(emu, code.device_code)).status).to.equal(503)
      // Neither faulted poll set the slow_down timer nor consumed the approved record.
      expect((await poll(emu, code.device_code)).status).to.equal(200)
    })

    it('delays with delay_ms and then processes normally', async () => {
      await emu.control.addFault({delay_ms: 300, route: 'GET _version'})
      const started = Date.now()
      const answer = await api.get(emu, '_version')
      expect(Date.now() - started).to.be.at.least(280)
      expect(answer.status).to.equal(200)
      const fast = Date.now()
      await api.get(emu, '_version')
      expect(Date.now() - fast).to.be.below(250)
    })

    it('delays a status fault too', async () => {
      await emu.control.addFault({delay_ms: 200, route: '*', status: 504})
      const started = Date.now()
      expect((await api.get(emu, '_health')).status).to.equal(504)
      expect(Date.now() - started).to.be.at.least(180)
    })

    it('closes the connection without answering with action reset', async () => {
      await emu.control.addFault({action: 'reset', route: 'POST oauth/device/token'})
      let failed = false
      try {
        await poll(emu, 'dc_x')
      } catch {
        failed = true
      }

      expect(failed, 'the request failed at the transport').to.equal(true)
      expectRfc(await poll(emu, 'dc_y'), 400, 'expired_token')
      const log = await emu.control.requests()
      expect(log.map((e) => e.status)).to.deep.equal([null, 400])
    })

    it('matches {param} segments, methods and the * route; DELETE clears all', async () => {
      const me = await login(emu)
      await emu.control.addFault({count: 5, route: 'DELETE account/sessions/{id}', status: 500})
      expect((await api.delete(emu, 'account/sessions/abc', {token: me.token})).status).to.equal(500)
      expect((await api.delete(emu, 'account/sessions/self', {token: me.token})).status).to.equal(500)
      expect((await api.get(emu, 'account/sessions', {token: me.token})).status).to.equal(200)
      await emu.control.clearFaults()
      expect((await api.delete(emu, 'account/sessions/abc', {token: me.token})).status).to.equal(404)
      await emu.control.addFault({count: 2, route: '*', status: 418})
      expect((await api.get(emu, '_health')).status).to.equal(418)
      expect((await fetch(`${emu.url}/device`)).status).to.equal(418)
      expect((await api.get(emu, '_health')).status).to.equal(200)
    })

    it('refuses a malformed fault with 400', async () => {
      for (const fault of [{}, {route: 'GET _health', status: 42}, {route: 'GET _health', action: 'explode'}, {route: 'x', count: -1}]) {
        expect((await emu.control.raw('POST', 'faults', fault)).status, JSON.stringify(fault)).to.equal(400)
      }
    })
  })

  describe('request log', () => {
    it('records /openapi/v1/ and /device requests with headers verbatim, body, query and status; not /_emulator/', async () => {
      const {token} = await login(emu)
      await emu.control.clearRequests()
      await request(emu.url, 'GET', 'account/sessions?page=2&limit=5', {headers: {'X-Trace': 'Mixed-Case Value'}, token})
      await api.post(emu, 'oauth/device/code', {client_id: 'difyctl', device_label: 'difyctl on log-test'})
      await fetch(`${emu.url}/device?user_code=abcd`)
      await emu.control.sessions()
      const log = await emu.control.requests()
      expect(log.map((e) => [e.method, e.path, e.query, e.status])).to.deep.equal([
        ['GET', '/openapi/v1/account/sessions', 'page=2&limit=5', 200],
        ['POST', '/openapi/v1/oauth/device/code', '', 200],
        ['GET', '/device', 'user_code=abcd', 200],
      ])
      const [list, code] = log
      expect(list.headers.authorization).to.equal(`Bearer ${token}`)
      expect(list.headers['user-agent']).to.equal('difyctl/0.3.0 (linux; x64)')
      expect(list.raw_headers).to.deep.include(['X-Trace', 'Mixed-Case Value'])
      expect(list.body).to.equal(null)
      expect(code.body).to.deep.equal({client_id: 'difyctl', device_label: 'difyctl on log-test'})
      expect(code.headers['content-type']).to.equal('application/json')
      expect(log.map((e) => e.seq)).to.satisfy((seqs: number[]) => seqs.every((s, i) => i === 0 || s > seqs[i - 1]))
      expect(Date.parse(list.time)).to.be.closeTo(Date.now(), 5000)
      await emu.control.clearRequests()
      expect(await emu.control.requests()).to.deep.equal([])
    })

    it('records a request without any User-Agent as such', async () => {
      await rawHttp(emu.url, 'GET', '/openapi/v1/_health')
      const [entry] = await emu.control.requests()
      expect(entry.headers).to.not.have.property('user-agent')
      expect(entry.status).to.equal(200)
    })

    it('records the raw text of a non-JSON body', async () => {
      await request(emu.url, 'POST', 'oauth/device/token', {headers: {'Content-Type': 'text/plain'}, rawBody: 'hello'})
      expect((await emu.control.requests())[0].body).to.equal('hello')
    })
  })

  describe('clock', () => {
    it('reports and moves the emulator time', async () => {
      const before = await emu.control.clock()
      const after = await emu.control.advanceClock(3600)
      expect(Date.parse(after.now) - Date.parse(before.now)).to.be.closeTo(3_600_000, 2000)
      expect(after.offset_s).to.be.closeTo(3600, 0.001)
      const set = await emu.control.setClock('2030-01-01T00:00:00Z')
      expect(Date.parse(set.now)).to.be.closeTo(Date.parse('2030-01-01T00:00:00Z'), 2000)
      await emu.control.reset()
      expect((await emu.control.clock()).offset_s).to.equal(0)
    })

    it('drives token lifetimes and payload timestamps', async () => {
      await emu.control.setClock('2030-01-01T00:00:00Z')
      const me = await login(emu)
      expect(me.expires_at.startsWith('2030-01-15T00:00:0')).to.equal(true)
      await emu.control.advanceClock(14 * 86_400 - 60)
      expect((await api.get(emu, 'account', {token: me.token})).status).to.equal(200)
      await emu.control.advanceClock(61)
      expect((await api.get(emu, 'account', {token: me.token})).status).to.equal(401)
    })

    it('refuses a malformed clock request', async () => {
      expect((await emu.control.raw('POST', 'clock', {})).status).to.equal(400)
      expect((await emu.control.raw('POST', 'clock', {now: 'yesterday'})).status).to.equal(400)
    })
  })

  describe('reset', () => {
    it('clears codes, sessions, buckets, faults and the log; with config, restores the start-up knobs', async () => {
      await emu.control.patchConfig({interval_s: 1, rate_limits: {device_code: {limit: 1}}})
      await newCode(emu)
      await emu.control.seedSession({account_email: 'demo@example.com'})
      await emu.control.addFault({count: 9, route: 'GET _version', status: 500})
      await emu.control.reset()
      expect(await emu.control.deviceCodes()).to.deep.equal([])
      expect(await emu.control.sessions()).to.deep.equal([])
      expect(await emu.control.faults()).to.deep.equal([])
      expect(await emu.control.requests()).to.deep.equal([])
      expect((await api.get(emu, '_version')).status).to.equal(200)
      await newCode(emu)
      expect((await emu.control.config()).interval_s).to.equal(1)
      await emu.control.reset({config: true})
      expect((await emu.control.config()).interval_s).to.equal(5)
    })
  })
})
