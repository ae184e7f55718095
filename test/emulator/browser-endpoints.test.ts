import {expect} from 'chai'

import {EmulatorControlError, startTestEmulator} from '../support/emulator.js'
import type {TestEmulator} from '../support/emulator.js'
import {api, browserCookie, expectErrorBody, expectRfc, newCode, poll} from './http.js'

describe('emulator: browser-side device endpoints', () => {
  let emu: TestEmulator
  before(async () => {
    emu = await startTestEmulator({
      accounts: [
        {email: 'demo@example.com', name: 'Demo User', workspaces: [{current: true, name: 'Demo Workspace', role: 'owner'}]},
        {
          email: 'ops@example.com',
          name: 'Ops Person',
          workspaces: [
            {id: 'ws-a', name: 'Alpha', role: 'normal'},
            {current: true, id: 'ws-b', name: 'Beta', role: 'admin'},
          ],
        },
      ],
    })
  })
  after(() => emu.close())
  beforeEach(() => emu.control.reset({config: true}))

  const approve = (cookie: string | undefined, body: unknown) => api.post(emu, 'oauth/device/approve', body, {headers: cookie ? {Cookie: cookie} : {}})
  const deny = (cookie: string | undefined, body: unknown) => api.post(emu, 'oauth/device/deny', body, {headers: cookie ? {Cookie: cookie} : {}})

  describe('GET oauth/device/lookup', () => {
    it('answers valid with the full configured lifetime for a pending code, never the label', async () => {
      const code = await newCode(emu)
      await emu.control.advanceClock(300)
      const answer = await api.get(emu, `oauth/device/lookup?user_code=${code.user_code}`)
      expect(answer.status).to.equal(200)
      expect(answer.json).to.deep.equal({client_id: 'difyctl', expires_in_remaining: 900, valid: true})
    })

    it('trims and upper-cases the code, but requires the hyphen', async () => {
      const code = await newCode(emu)
      const lower = encodeURIComponent(`  ${code.user_code.toLowerCase()} `)
      expect((await api.get(emu, `oauth/device/lookup?user_code=${lower}`)).json.valid).to.equal(true)
      const noHyphen = code.user_code.replace('-', '')
      expect((await api.get(emu, `oauth/device/lookup?user_code=${noHyphen}`)).json).to.deep.equal({client_id: null, expires_in_remaining: 0, valid: false})
    })

    it('answers invalid with the client id for a decided, unconsumed code, and with null once consumed or unknown', async () => {
      const code = await newCode(emu)
      await emu.control.approve(code.user_code)
      expect((await api.get(emu, `oauth/device/lookup?user_code=${code.user_code}`)).json).to.deep.equal({
        client_id: 'difyctl',
        expires_in_remaining: 0,
        valid: false,
      })
      await poll(emu, code.device_code)
      expect((await api.get(emu, `oauth/device/lookup?user_code=${code.user_code}`)).json).to.deep.equal({
        client_id: null,
        expires_in_remaining: 0,
        valid: false,
      })
      expect((await api.get(emu, 'oauth/device/lookup?user_code=AAAA-BBBB')).json.client_id).to.equal(null)
    })

    it('answers 400 without user_code and 429 past the per-IP limit (no Retry-After)', async () => {
      expectErrorBody(await api.get(emu, 'oauth/device/lookup'), 400, 'bad_request')
      await emu.control.patchConfig({rate_limits: {lookup: {limit: 2, window_s: 300}}})
      await api.get(emu, 'oauth/device/lookup?user_code=AAAA-BBBB')
      await api.get(emu, 'oauth/device/lookup')
      const refused = await api.get(emu, 'oauth/device/lookup?user_code=AAAA-BBBB')
      expectErrorBody(refused, 429, 'too_many_requests', 'rate_limited')
      expect(refused.headers.has('retry-after')).to.equal(false)
    })
  })

  describe('POST oauth/device/approve and deny', () => {
    it('answers 401 with WWW-Authenticate without a browser session, or with an unknown one', async () => {
      const code = await newCode(emu)
      for (const answer of [
        await approve(undefined, {user_code: code.user_code}),
        await deny(undefined, {user_code: code.user_code}),
        await approve('dify_emulator_session=forged', {user_code: code.user_code}),
      ]) {
        expectErrorBody(answer, 401, 'unauthorized')
        expect(answer.headers.get('www-authenticate')).to.equal('Bearer realm="api"')
      }

      expect((await emu.control.deviceCodes())[0].status).to.equal('pending')
    })

    it('approves as the browser account and mints the token', async () => {
      const cookie = await browserCookie(emu)
      const code = await newCode(emu)
      const answer = await approve(cookie, {user_code: ` ${code.user_code.toLowerCase()} `})
      expect(answer.status).to.equal(200)
      expect(answer.json).to.deep.equal({status: 'approved'})
      const collected = await poll(emu, code.device_code)
      expect(collected.json.account.email).to.equal('demo@example.com')
    })

    it('denies, after which the poll answers access_denied', async () => {
      const cookie = await browserCookie(emu)
      const code = await newCode(emu)
      expect((await deny(cookie, {user_code: code.user_code})).json).to.deep.equal({status: 'denied'})
      expectRfc(await poll(emu, code.device_code), 400, 'access_denied')
    })

    it('answers 404 expired_or_unknown and 409 already_resolved', async () => {
      const cookie = await browserCookie(emu)
      expectRfc(await approve(cookie, {user_code: 'AAAA-BBBB'}), 404, 'expired_or_unknown')
      expectRfc(await deny(cookie, {user_code: 'AAAA-BBBB'}), 404, 'expired_or_unknown')
      const code = await newCode(emu)
      expectRfc(await approve(cookie, {user_code: code.user_code.replace('-', '')}), 404, 'expired_or_unknown')
      await approve(cookie, {user_code: code.user_code})
      expectRfc(await approve(cookie, {user_code: code.user_code}), 409, 'already_resolved')
      expectRfc(await deny(cookie, {user_code: code.user_code}), 409, 'already_resolved')
      await poll(emu, code.device_code)
      expectRfc(await approve(cookie, {user_code: code.user_code}), 404, 'expired_or_unknown')
    })

    it('answers 400 bad_request for an invalid body', async () => {
      const cookie = await browserCookie(emu)
      expectErrorBody(await approve(cookie, {}), 400, 'bad_request')
      expectErrorBody(await deny(cookie, {user_code: 12}), 400, 'bad_request')
    })

    it('limits approve and deny together to 10 per hour per browser session, without Retry-After', async () => {
      const cookie = await browserCookie(emu)
      for (let i = 0; i < 5; i++) {
        expect((await approve(cookie, {user_code: 'AAAA-BBBB'})).status).to.equal(404)
        expect((await deny(cookie, {user_code: 'AAAA-BBBB'})).status).to.equal(404)
      }

      const code = await newCode(emu)
      const refused = await approve(cookie, {user_code: code.user_code})
      expectErrorBody(refused, 429, 'too_many_requests', 'rate_limited')
      expect(refused.headers.has('retry-after')).to.equal(false)
      // Another browser is not affected; and the window slides.
      expect((await approve(await browserCookie(emu), {user_code: 'AAAA-BBBB'})).status).to.equal(404)
      await emu.control.advanceClock(3600)
      const fresh = await newCode(emu)
      expect((await approve(cookie, {user_code: fresh.user_code})).status).to.equal(200)
    })

    it('answers approve_in_progress to a second approve while the first holds the code', async () => {
      await emu.control.patchConfig({approve_latency_ms: 300})
      const cookie = await browserCookie(emu)
      const code = await newCode(emu)
      const answers = await Promise.all([approve(cookie, {user_code: code.user_code}), approve(cookie, {user_code: code.user_code})])
      const statuses = answers.map((a) => a.status).sort()
      expect(statuses).to.deep.equal([200, 409])
      expectRfc(answers.find((a) => a.status === 409)!, 409, 'approve_in_progress')
      expectRfc(await approve(cookie, {user_code: code.user_code}), 409, 'already_resolved')
      expect((await emu.control.sessions()).filter((s) => s.revoked_at === null)).to.have.length(1)
    })

    it('mints exactly one token when many approves race, all others refused', async () => {
      await emu.control.patchConfig({approve_latency_ms: 100})
      const code = await newCode(emu)
      const cookies = await Promise.all(Array.from({length: 6}, () => browserCookie(emu)))
      const answers = await Promise.all(cookies.map((c) => approve(c, {user_code: code.user_code})))
      expect(answers.filter((a) => a.status === 200)).to.have.length(1)
      for (const a of answers.filter((x) => x.status !== 200)) expect(a.json.error).to.be.oneOf(['approve_in_progress', 'already_resolved'])
      expect(await emu.control.sessions()).to.have.length(1)
    })

    it('answers state_lost when the record vanishes while the approve runs', async () => {
      await emu.control.patchConfig({approve_latency_ms: 300, expires_in_s: 10})
      const cookie = await browserCookie(emu)
      const code = await newCode(emu)
      const pending = approve(cookie, {user_code: code.user_code})
      await new Promise((resolve) => setTimeout(resolve, 100))
      await emu.control.advanceClock(11)
      expectRfc(await pending, 409, 'state_lost')
      expect(await emu.control.sessions()).to.deep.equal([])
    })

    it('answers 503 when the bearer feature is off — after the session check, before limit and body', async () => {
      await emu.control.patchConfig({bearer_enabled: false, rate_limits: {approve: {limit: 1}}})
      const code = await newCode(emu)
      expectErrorBody(await approve(undefined, {user_code: code.user_code}), 401, 'unauthorized')
      const cookie = await browserCookie(emu)
      for (const answer of [await approve(cookie, {user_code: code.user_code}), await approve(cookie, {}), await deny(cookie, {user_code: code.user_code})]) {
        expectErrorBody(answer, 503, 'unknown', 'Internal Server Error')
      }

      expect((await emu.control.deviceCodes())[0].status).to.equal('pending')
      await expectControlError(emu.control.approve(code.user_code), 503)
      expect((await emu.control.raw('POST', 'device-codes/approve', {})).status).to.equal(503)
      expect((await emu.control.raw('POST', 'device-codes/deny', {user_code: code.user_code})).status).to.equal(503)
    })

    it('uses the browser session current workspace as the default workspace', async () => {
      const cookie = await browserCookie(emu)
      const switched = await fetch(`${emu.url}/device/account`, {
        body: new URLSearchParams({account: 'ops@example.com'}),
        headers: {Cookie: cookie},
        method: 'POST',
        redirect: 'manual',
      })
      expect(switched.status).to.equal(303)
      const code = await newCode(emu)
      await approve(cookie, {user_code: code.user_code})
      const payload = (await poll(emu, code.device_code)).json
      expect(payload.account.email).to.equal('ops@example.com')
      expect(payload.workspaces).to.deep.equal([
        {id: 'ws-a', name: 'Alpha', role: 'normal'},
        {id: 'ws-b', name: 'Beta', role: 'admin'},
      ])
      expect(payload.default_workspace_id).to.equal('ws-b')
    })
  })

  describe('control approvals', () => {
    it('approves "latest" as a named account in a chosen workspace', async () => {
      await newCode(emu, 'first')
      const code = await newCode(emu, 'second')
      const {token_id: tokenId} = await emu.control.approve('latest', 'ops@example.com', 'ws-a')
      const payload = (await poll(emu, code.device_code)).json
      expect(payload.token_id).to.equal(tokenId)
      expect(payload.default_workspace_id).to.equal('ws-a')
      expect((await emu.control.deviceCodes()).map((d) => d.status)).to.deep.equal(['pending'])
    })

    it('falls back to the flagged-current workspace for a workspace id that is not a membership', async () => {
      const code = await newCode(emu)
      await emu.control.approve(code.user_code, 'ops@example.com', 'not-mine')
      expect((await poll(emu, code.device_code)).json.default_workspace_id).to.equal('ws-b')
    })

    it('answers like §4.5: 404 for unknown codes, 409 for decided ones; 400 for an unknown account', async () => {
      await expectControlError(emu.control.approve('AAAA-BBBB'), 404, {error: 'expired_or_unknown'})
      await expectControlError(emu.control.deny('latest'), 404, {error: 'expired_or_unknown'})
      const code = await newCode(emu)
      await emu.control.deny(code.user_code)
      await expectControlError(emu.control.approve(code.user_code), 409, {error: 'already_resolved'})
      await expectControlError(emu.control.approve(code.user_code, 'nobody@example.com'), 400)
    })

    it('mints an external-SSO payload with approve-sso', async () => {
      const code = await newCode(emu)
      const {token_id: tokenId} = await emu.control.approveSso(code.user_code, 'sso@corp.example', 'https://idp.corp.example')
      const payload = (await poll(emu, code.device_code)).json
      expect(payload.token).to.match(/^dfoe_[A-Za-z0-9_-]{43}$/)
      expect(payload).to.deep.include({
        account: null,
        default_workspace_id: null,
        subject_email: 'sso@corp.example',
        subject_issuer: 'https://idp.corp.example',
        subject_type: 'external_sso',
        token_id: tokenId,
        workspaces: [],
      })
    })
  })
})

async function expectControlError(promise: Promise<unknown>, status: number, body?: unknown): Promise<void> {
  try {
    await promise
  } catch (error) {
    expect(error).to.be.instanceOf(EmulatorControlError)
    expect((error as EmulatorControlError).status).to.equal(status)
    if (body !== undefined) expect((error as EmulatorControlError).body).to.deep.equal(body)
    return
  }

  expect.fail(`expected the control call to fail with ${status}`)
}
