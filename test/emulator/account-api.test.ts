import {expect} from 'chai'

import {startTestEmulator} from '../support/emulator.js'
import type {TestEmulator} from '../support/emulator.js'
import {api, expectErrorBody, login, newCode, poll, request, UUID} from './http.js'

const TWO_ACCOUNTS = [
  {email: 'demo@example.com', id: '11111111-1111-4111-8111-111111111111', name: 'Demo User', workspaces: [{current: true, id: 'ws-demo', name: 'Demo Workspace', role: 'owner'}]},
  {email: 'other@example.com', id: '22222222-2222-4222-8222-222222222222', name: 'Other Person', workspaces: []},
]

describe('emulator: bearer routes', () => {
  let emu: TestEmulator
  before(async () => {
    emu = await startTestEmulator({accounts: TWO_ACCOUNTS})
  })
  after(() => emu.close())
  beforeEach(() => emu.control.reset({config: true}))

  const sessions = (token: string, query = '') => api.get(emu, `account/sessions${query}`, {token})

  describe('rotation on re-login (§4.4)', () => {
    it('revokes the previous session of the same account, client and label', async () => {
      const first = await login(emu, {label: 'difyctl on laptop'})
      const second = await login(emu, {label: 'difyctl on laptop'})
      expect(second.token_id).to.not.equal(first.token_id)
      expectErrorBody(await sessions(first.token), 401, 'unauthorized', 'invalid bearer')
      const list = await sessions(second.token)
      expect(list.json.data.map((r: {id: string}) => r.id)).to.deep.equal([second.token_id])
      const rows = await emu.control.sessions()
      expect(rows.find((r) => r.id === first.token_id)).to.include({revoked_by: 'rotation'})
    })

    it('never rotates across labels or accounts', async () => {
      const a = await login(emu, {label: 'difyctl on laptop'})
      const b = await login(emu, {label: 'difyctl on desktop'})
      const c = await login(emu, {email: 'other@example.com', label: 'difyctl on laptop'})
      for (const token of [a.token, b.token, c.token]) expect((await sessions(token)).status).to.equal(200)
      expect((await sessions(a.token)).json.total).to.equal(2)
      expect((await sessions(c.token)).json.total).to.equal(1)
    })

    it('rotates seeded sessions too, keyed by client id as well', async () => {
      const old = await emu.control.seedSession({account_email: 'demo@example.com', client_id: 'difyctl', device_label: 'x'})
      const otherClient = await emu.control.seedSession({account_email: 'demo@example.com', client_id: 'other-tool', device_label: 'x'})
      const fresh = await emu.control.seedSession({account_email: 'demo@example.com', client_id: 'difyctl', device_label: 'x'})
      expectErrorBody(await sessions(old.token), 401, 'unauthorized')
      expect((await sessions(otherClient.token)).status).to.equal(200)
      expect((await sessions(fresh.token)).json.total).to.equal(2)
    })
  })

  describe('authentication (§5)', () => {
    const header = (value: string) => request(emu.url, 'GET', 'account/sessions', {headers: {Authorization: value}})

    it('answers 401 bearer required with WWW-Authenticate for a missing header, another scheme or an empty token', async () => {
      const answers = [await request(emu.url, 'GET', 'account/sessions'), await header('Basic dXNlcjpwdw=='), await header('Bearer '), await header('Bearer'), await header('   ')]
      for (const answer of answers) {
        expectErrorBody(answer, 401, 'unauthorized', 'bearer required')
        expect(answer.headers.get('www-authenticate')).to.equal('Bearer realm="api"')
      }
    })

    it('answers 401 invalid bearer for a foreign prefix, an unknown, a revoked and an expired token', async () => {
      await emu.control.patchConfig({token_ttl_s: 2})
      const revoked = await login(emu, {label: 'revoked'})
      expect((await api.delete(emu, 'account/sessions/self', {token: revoked.token})).status).to.equal(200)
      const expiring = await login(emu, {label: 'expiring'})
      await emu.control.advanceClock(2)
      const answers = [
        await header('Bearer sk-not-a-dify-token'),
        await header(`Bearer dfoa_${'A'.repeat(43)}`),
        await header(`Bearer dfoe_${'A'.repeat(43)}`),
        await sessions(revoked.token),
        await sessions(expiring.token),
      ]
      for (const answer of answers) {
        expectErrorBody(answer, 401, 'unauthorized', 'invalid bearer')
        expect(answer.headers.get('www-authenticate')).to.equal('Bearer realm="api"')
      }

      const row = (await emu.control.sessions()).find((r) => r.id === expiring.token_id)
      expect(row).to.include({revoked_by: 'expiry'})
      // Revoked for good: winding the clock back does not revive it.
      await emu.control.advanceClock(-10)
      expectErrorBody(await sessions(expiring.token), 401, 'unauthorized', 'invalid bearer')
    })

    it('matches the scheme case-insensitively and trims the token', async () => {
      const {token} = await login(emu)
      expect((await header(`bEaReR    ${token}   `)).status).to.equal(200)
    })

    it('answers 500 for bad tokens with invalid_bearer_status 500, yet 401 for a missing header', async () => {
      await emu.control.patchConfig({invalid_bearer_status: 500})
      expectErrorBody(await header(`Bearer dfoa_${'B'.repeat(43)}`), 500, 'internal_server_error', 'Internal Server Error')
      expectErrorBody(await request(emu.url, 'GET', 'account/sessions'), 401, 'unauthorized', 'bearer required')
      const {token} = await login(emu)
      expect((await sessions(token)).status).to.equal(200)
    })

    it('refuses dfoe_ tokens on every account route with the exact 403 body', async () => {
      const code = await newCode(emu)
      await emu.control.approveSso(code.user_code, 'sso@corp.example', 'https://idp.example')
      const {token, token_id: tokenId} = (await poll(emu, code.device_code)).json
      const answers = [
        await sessions(token),
        await api.get(emu, 'account', {token}),
        await api.delete(emu, 'account/sessions/self', {token}),
        await api.delete(emu, `account/sessions/${tokenId}`, {token}),
        await sessions(token, '?limit=0'),
      ]
      for (const answer of answers) {
        expect(answer.status).to.equal(403)
        expect(answer.json).to.deep.equal({code: 'forbidden', message: 'unsupported_token_type', status: 403})
      }

      expect((await emu.control.sessions())[0].revoked_at).to.equal(null)
    })

    it('rate limits per token with Retry-After in whole seconds; refused requests are not counted', async () => {
      await emu.control.patchConfig({rate_limits: {per_token: {limit: 2, window_s: 60}}})
      const mine = await login(emu, {label: 'mine'})
      const other = await login(emu, {label: 'other'})
      expect((await sessions(mine.token)).status).to.equal(200)
      await emu.control.advanceClock(20)
      expect((await api.get(emu, 'account', {token: mine.token})).status).to.equal(200)
      const refused = await sessions(mine.token)
      expectErrorBody(refused, 429, 'too_many_requests', 'rate_limited')
      expect(refused.headers.get('retry-after')).to.equal('40')
      await emu.control.advanceClock(30)
      expect((await sessions(mine.token)).headers.get('retry-after')).to.equal('10')
      expect((await sessions(other.token)).status).to.equal(200)
      await emu.control.advanceClock(10)
      expect((await sessions(mine.token)).status).to.equal(200)
      const again = await sessions(mine.token)
      expect(again.status).to.equal(429)
      expect(Number(again.headers.get('retry-after'))).to.be.within(1, 20)
    })

    it('checks the token before the rate limit and the rate limit before the query', async () => {
      await emu.control.patchConfig({rate_limits: {per_token: {limit: 1, window_s: 60}}})
      const {token} = await login(emu)
      expect((await sessions(token, '?limit=0')).status).to.equal(422)
      expect((await sessions(token, '?limit=0')).status).to.equal(429)
      expect((await request(emu.url, 'GET', 'account/sessions?limit=0')).status).to.equal(401)
      await emu.control.patchConfig({rate_limits: {per_token: {limit: 0}}})
      for (let i = 0; i < 5; i++) expect((await sessions(token)).status).to.equal(200)
    })
  })

  describe('GET account/sessions (§6.1)', () => {
    it('lists rows with exactly the documented fields, Z timestamps and null last_used_at', async () => {
      const me = await login(emu, {label: 'difyctl on Yours-MacBook-Pro'})
      const answer = await sessions(me.token)
      expect(answer.status).to.equal(200)
      expect(answer.json).to.deep.include({has_more: false, limit: 100, page: 1, total: 1})
      const [row] = answer.json.data
      expect(Object.keys(row)).to.deep.equal(['id', 'prefix', 'client_id', 'device_label', 'created_at', 'last_used_at', 'expires_at'])
      expect(row).to.include({client_id: 'difyctl', device_label: 'difyctl on Yours-MacBook-Pro', id: me.token_id, last_used_at: null, prefix: 'dfoa_'})
      expect(row.id).to.match(UUID)
      expect(row.created_at).to.match(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?Z$/)
      expect(row.expires_at).to.equal(me.expires_at.replace('+00:00', 'Z'))
    })

    it('echoes seeded timestamps with or without a fraction, and a seeded last_used_at', async () => {
      const {token} = await emu.control.seedSession({
        account_email: 'demo@example.com',
        created_at: '2026-06-02T09:14:31Z',
        device_label: 'a',
        expires_at: '2099-06-16T09:14:31.123456Z',
        last_used_at: '2026-06-03T10:00:00.5+00:00',
      })
      const [row] = (await sessions(token)).json.data
      expect(row).to.include({created_at: '2026-06-02T09:14:31Z', expires_at: '2099-06-16T09:14:31.123456Z', last_used_at: '2026-06-03T10:00:00.500000Z'})
    })

    it('orders by created_at descending, later creation first on ties, over every client id', async () => {
      const same = '2026-06-02T09:00:00Z'
      const seeds = await emu.control.seedSessions([
        {account_email: 'demo@example.com', created_at: '2026-06-01T00:00:00Z', device_label: 'old'},
        {account_email: 'demo@example.com', client_id: 'another-client', created_at: same, device_label: 'tie-1'},
        {account_email: 'demo@example.com', created_at: same, device_label: 'tie-2'},
        {account_email: 'demo@example.com', created_at: '2026-06-03T00:00:00Z', device_label: 'new'},
        {account_email: 'other@example.com', created_at: '2026-06-04T00:00:00Z', device_label: 'not mine'},
      ])
      const labels = (await sessions(seeds[0].token)).json.data.map((r: {device_label: string}) => r.device_label)
      expect(labels).to.deep.equal(['new', 'tie-2', 'tie-1', 'old'])
    })

    it('leaves out revoked and expired rows', async () => {
      const me = await emu.control.seedSession({account_email: 'demo@example.com', device_label: 'me'})
      await emu.control.seedSession({account_email: 'demo@example.com', device_label: 'expired', expires_at: '2020-01-01T00:00:00Z'})
      const gone = await emu.control.seedSession({account_email: 'demo@example.com', device_label: 'gone'})
      await api.delete(emu, 'account/sessions/self', {token: gone.token})
      expect((await sessions(me.token)).json.data.map((r: {device_label: string}) => r.device_label)).to.deep.equal(['me'])
    })

    it('pages with has_more, total, echoed values and an empty page past the end', async () => {
      const seeds = await emu.control.seedSessions(
        Array.from({length: 450}, (_, i) => ({account_email: 'demo@example.com', created_at: new Date(Date.UTC(2026, 0, 1, 0, i)).toISOString(), device_label: `host-${i}`})),
      )
      const {token} = seeds[0]
      const pages = [await sessions(token, '?page=1&limit=200'), await sessions(token, '?page=2&limit=200'), await sessions(token, '?page=3&limit=200'), await sessions(token, '?page=4&limit=200')]
      expect(pages.map((p) => [p.json.page, p.json.limit, p.json.total, p.json.has_more, p.json.data.length])).to.deep.equal([
        [1, 200, 450, true, 200],
        [2, 200, 450, true, 200],
        [3, 200, 450, false, 50],
        [4, 200, 450, false, 0],
      ])
      const ids = pages.flatMap((p) => p.json.data.map((r: {id: string}) => r.id))
      expect(new Set(ids).size).to.equal(450)
      expect(pages[0].json.data[0].device_label).to.equal('host-449')
      const exact = await sessions(token, '?page=9&limit=50')
      expect(exact.json).to.deep.include({has_more: false, page: 9, total: 450})
      expect(exact.json.data).to.have.length(50)
      const defaults = await sessions(token)
      expect(defaults.json).to.deep.include({has_more: true, limit: 100, page: 1})
    })

    it('seeds 1,000 sessions quickly, one request at a time', async () => {
      const started = Date.now()
      for (let i = 0; i < 1000; i++) await emu.control.seedSession({account_email: 'demo@example.com', device_label: `fast-${i}`})
      expect(Date.now() - started).to.be.below(4000)
      expect((await emu.control.sessions()).length).to.equal(1000)
    })

    it('answers the five 422 rows exactly', async () => {
      const {token} = await login(emu)
      const cases: Array<[string, unknown]> = [
        ['?page=0', {loc: ['page'], msg: 'Input should be greater than or equal to 1', type: 'greater_than_equal'}],
        ['?limit=0', {loc: ['limit'], msg: 'Input should be greater than or equal to 1', type: 'greater_than_equal'}],
        ['?limit=201', {loc: ['limit'], msg: 'Input should be less than or equal to 200', type: 'less_than_equal'}],
        ['?limit=abc', {loc: ['limit'], msg: 'Input should be a valid integer, unable to parse string as an integer', type: 'int_parsing'}],
        ['?limit=', {loc: ['limit'], msg: 'Input should be a valid integer, unable to parse string as an integer', type: 'int_parsing'}],
        ['?limit=1.5', {loc: ['limit'], msg: 'Input should be a valid integer, unable to parse string as an integer', type: 'int_parsing'}],
        ['?foo=1', {loc: ['foo'], msg: 'Extra inputs are not permitted', type: 'extra_forbidden'}],
      ]
      for (const [query, detail] of cases) {
        const answer = await sessions(token, query)
        expect(answer.status, query).to.equal(422)
        expect(answer.json, query).to.deep.equal({code: 'invalid_param', details: [detail], message: 'Request validation failed', status: 422})
      }
    })

    it('reports every problem at once, one details entry each', async () => {
      const {token} = await login(emu)
      const answer = await sessions(token, '?page=0&limit=201&foo=1&bar=2')
      expect(answer.json.details.map((d: {loc: string[]}) => d.loc[0])).to.deep.equal(['page', 'limit', 'foo', 'bar'])
    })
  })

  describe('DELETE account/sessions (§6.2)', () => {
    it('revokes self: 200 {"status":"revoked"}, then the token gets 401', async () => {
      const me = await login(emu)
      const answer = await api.delete(emu, 'account/sessions/self', {token: me.token})
      expect(answer.status).to.equal(200)
      expect(answer.json).to.deep.equal({status: 'revoked'})
      expectErrorBody(await api.delete(emu, 'account/sessions/self', {token: me.token}), 401, 'unauthorized', 'invalid bearer')
      expect((await emu.control.sessions())[0]).to.include({revoked_by: 'self'})
    })

    it('revokes an own session by id; the row goes, its token dies, a repeat is 200 again', async () => {
      const me = await login(emu, {label: 'me'})
      const laptop = await emu.control.seedSession({account_email: 'demo@example.com', client_id: 'other-client', device_label: 'laptop'})
      const first = await api.delete(emu, `account/sessions/${laptop.id}`, {token: me.token})
      expect(first.json).to.deep.equal({status: 'revoked'})
      expect((await sessions(me.token)).json.data.map((r: {id: string}) => r.id)).to.deep.equal([me.token_id])
      expectErrorBody(await sessions(laptop.token), 401, 'unauthorized', 'invalid bearer')
      const again = await api.delete(emu, `account/sessions/${laptop.id}`, {token: me.token})
      expect([again.status, again.json]).to.deep.equal([200, {status: 'revoked'}])
      expect((await emu.control.sessions()).find((r) => r.id === laptop.id)).to.include({revoked_by: 'id'})
    })

    it('answers 404 session not found for another account id or any unknown string, never 403', async () => {
      const me = await login(emu)
      const theirs = await emu.control.seedSession({account_email: 'other@example.com', device_label: 'theirs'})
      for (const id of [theirs.id, '00000000-0000-4000-8000-000000000000', 'not-a-uuid', 'self%20x']) {
        const answer = await api.delete(emu, `account/sessions/${id}`, {token: me.token})
        expect(answer.status).to.equal(404)
        expect(answer.json).to.deep.equal({code: 'not_found', message: 'session not found', status: 404})
      }

      expect((await sessions(theirs.token)).status).to.equal(200)
    })

    it('allows revoking the current session by its id, like self', async () => {
      const me = await login(emu)
      expect((await api.delete(emu, `account/sessions/${me.token_id}`, {token: me.token})).status).to.equal(200)
      expectErrorBody(await sessions(me.token), 401, 'unauthorized', 'invalid bearer')
    })
  })

  describe('GET account (§6.3)', () => {
    it('describes the account with its workspaces and flagged-current default', async () => {
      const me = await login(emu)
      const answer = await api.get(emu, 'account', {token: me.token})
      expect(answer.status).to.equal(200)
      expect(answer.json).to.deep.equal({
        account: {email: 'demo@example.com', id: '11111111-1111-4111-8111-111111111111', name: 'Demo User'},
        default_workspace_id: 'ws-demo',
        subject_email: 'demo@example.com',
        subject_issuer: null,
        subject_type: 'account',
        workspaces: [{id: 'ws-demo', name: 'Demo Workspace', role: 'owner'}],
      })
      const other = await login(emu, {email: 'other@example.com'})
      expect((await api.get(emu, 'account', {token: other.token})).json).to.deep.include({default_workspace_id: null, workspaces: []})
    })

    it('limits per account (across its tokens) with 429 and no Retry-After', async () => {
      await emu.control.patchConfig({rate_limits: {account: {limit: 2, window_s: 60}}})
      const a = await login(emu, {label: 'a'})
      const b = await login(emu, {label: 'b'})
      expect((await api.get(emu, 'account', {token: a.token})).status).to.equal(200)
      expect((await api.get(emu, 'account', {token: b.token})).status).to.equal(200)
      const refused = await api.get(emu, 'account', {token: a.token})
      expectErrorBody(refused, 429, 'too_many_requests')
      expect(refused.headers.has('retry-after')).to.equal(false)
      const other = await login(emu, {email: 'other@example.com'})
      expect((await api.get(emu, 'account', {token: other.token})).status).to.equal(200)
    })
  })
})
