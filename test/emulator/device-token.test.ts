import {expect} from 'chai'

import {startTestEmulator} from '../support/emulator.js'
import type {TestEmulator} from '../support/emulator.js'
import {api, expectErrorBody, expectRfc, newCode, poll, UUID} from './http.js'

describe('emulator: POST oauth/device/token', () => {
  let emu: TestEmulator
  before(async () => {
    emu = await startTestEmulator()
  })
  after(() => emu.close())
  beforeEach(() => emu.control.reset({config: true}))

  it('answers 400 bad_request for an invalid body', async () => {
    expectErrorBody(await api.post(emu, 'oauth/device/token', {client_id: 'difyctl'}), 400, 'bad_request')
    expectErrorBody(await api.post(emu, 'oauth/device/token', {client_id: 'difyctl', device_code: 5}), 400, 'bad_request')
  })

  it('answers authorization_pending while pending; the first poll is never slowed', async () => {
    const code = await newCode(emu)
    expectRfc(await poll(emu, code.device_code), 400, 'authorization_pending')
    await emu.control.advanceClock(5)
    expectRfc(await poll(emu, code.device_code), 400, 'authorization_pending')
  })

  describe('slow_down rule', () => {
    it('slows a poll within the interval, and the slowed poll resets the timer', async () => {
      const code = await newCode(emu)
      expectRfc(await poll(emu, code.device_code), 400, 'authorization_pending')
      await emu.control.advanceClock(3)
      expectRfc(await poll(emu, code.device_code), 400, 'slow_down')
      // 6 s after the first poll but only 3 s after the slowed one.
      await emu.control.advanceClock(3)
      expectRfc(await poll(emu, code.device_code), 400, 'slow_down')
      await emu.control.advanceClock(5)
      expectRfc(await poll(emu, code.device_code), 400, 'authorization_pending')
    })

    it('accumulates nothing: after many slowed polls, one 5 s later is judged normally', async () => {
      const code = await newCode(emu)
      await poll(emu, code.device_code)
      for (let i = 0; i < 6; i++) expectRfc(await poll(emu, code.device_code), 400, 'slow_down')
      await emu.control.advanceClock(5)
      expectRfc(await poll(emu, code.device_code), 400, 'authorization_pending')
    })

    it('applies to unknown, expired and consumed codes alike (fast polls only ever get slow_down)', async () => {
      const unknown = 'dc_00000000000000000000000000000000'
      expectRfc(await poll(emu, unknown), 400, 'expired_token')
      expectRfc(await poll(emu, unknown), 400, 'slow_down')

      await emu.control.patchConfig({expires_in_s: 10})
      const expiring = await newCode(emu)
      await emu.control.advanceClock(8)
      expectRfc(await poll(emu, expiring.device_code), 400, 'authorization_pending')
      await emu.control.advanceClock(3)
      expectRfc(await poll(emu, expiring.device_code), 400, 'slow_down')
      await emu.control.advanceClock(5)
      expectRfc(await poll(emu, expiring.device_code), 400, 'expired_token')

      const consumed = await newCode(emu)
      await emu.control.approve(consumed.user_code)
      expect((await poll(emu, consumed.device_code)).status).to.equal(200)
      expectRfc(await poll(emu, consumed.device_code), 400, 'slow_down')
      await emu.control.advanceClock(5)
      expectRfc(await poll(emu, consumed.device_code), 400, 'expired_token')
    })

    it('uses interval_s as the threshold (1 s here, with real time)', async () => {
      await emu.control.patchConfig({interval_s: 1})
      const code = await newCode(emu)
      expect(code.interval).to.equal(1)
      expectRfc(await poll(emu, code.device_code), 400, 'authorization_pending')
      expectRfc(await poll(emu, code.device_code), 400, 'slow_down')
      await new Promise((resolve) => setTimeout(resolve, 1050))
      expectRfc(await poll(emu, code.device_code), 400, 'authorization_pending')
    })

    it('forgets the previous poll after expires_in seconds', async () => {
      const unknown = 'dc_11111111111111111111111111111111'
      await poll(emu, unknown)
      await emu.control.patchConfig({interval_s: 1000})
      await emu.control.advanceClock(901)
      expectRfc(await poll(emu, unknown), 400, 'expired_token')
    })
  })

  it('answers access_denied once after a denial, then expired_token', async () => {
    const code = await newCode(emu)
    await emu.control.deny(code.user_code)
    expectRfc(await poll(emu, code.device_code), 400, 'access_denied')
    await emu.control.advanceClock(5)
    expectRfc(await poll(emu, code.device_code), 400, 'expired_token')
  })

  it('answers expired_token once the code outlives expires_in_s', async () => {
    await emu.control.patchConfig({expires_in_s: 3})
    const code = await newCode(emu)
    expectRfc(await poll(emu, code.device_code), 400, 'authorization_pending')
    await emu.control.advanceClock(3)
    expectRfc(await poll(emu, code.device_code), 400, 'expired_token')
    expect(await emu.control.deviceCodes()).to.deep.equal([])
  })

  it('answers 200 with the frozen account payload once, then expired_token (one-shot)', async () => {
    const code = await newCode(emu, 'difyctl on laptop')
    const {token_id: tokenId} = await emu.control.approve(code.user_code, 'demo@example.com')
    const first = await poll(emu, code.device_code)
    expect(first.status).to.equal(200)
    const payload = first.json
    expect(Object.keys(payload)).to.deep.equal(['token', 'expires_at', 'subject_type', 'account', 'workspaces', 'default_workspace_id', 'token_id'])
    expect(payload.token).to.match(/^dfoa_[A-Za-z0-9_-]{43}$/)
    expect(payload.expires_at).to.match(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?\+00:00$/)
    expect(payload.subject_type).to.equal('account')
    expect(payload.account).to.deep.equal({email: 'demo@example.com', id: '5b0c1f9e-4a7d-4c21-9e3a-2f6d8b1a7c01', name: 'Demo User'})
    expect(payload.workspaces).to.deep.equal([{id: 'a7e3d2c1-6b5f-4e8a-9d0c-1b2a3c4d5e6f', name: 'Demo Workspace', role: 'owner'}])
    expect(payload.default_workspace_id).to.equal('a7e3d2c1-6b5f-4e8a-9d0c-1b2a3c4d5e6f')
    expect(payload.token_id).to.equal(tokenId).and.match(UUID)
    const days = (Date.parse(payload.expires_at) - Date.now()) / 86_400_000
    expect(days).to.be.closeTo(14, 0.01)
    await emu.control.advanceClock(5)
    expectRfc(await poll(emu, code.device_code), 400, 'expired_token')
  })

  it('mints at approval: the session row exists before the client collects the token', async () => {
    const code = await newCode(emu)
    const {token_id: tokenId} = await emu.control.approve(code.user_code)
    const rows = await emu.control.sessions()
    expect(rows.map((r) => r.id)).to.deep.equal([tokenId])
    expect(rows[0]).to.include({client_id: 'difyctl', device_label: 'difyctl on test-box', prefix: 'dfoa_', revoked_at: null})
  })

  it('lets exactly one of many concurrent pollers win; the others get expired_token', async () => {
    await emu.control.patchConfig({interval_s: 0})
    const code = await newCode(emu)
    await emu.control.approve(code.user_code)
    const answers = await Promise.all(Array.from({length: 12}, () => poll(emu, code.device_code)))
    expect(answers.filter((a) => a.status === 200)).to.have.length(1)
    for (const answer of answers.filter((a) => a.status !== 200)) expectRfc(answer, 400, 'expired_token')
  })

  it('keeps a late approval collectable for at least 60 s, and no longer', async () => {
    const code = await newCode(emu)
    await emu.control.advanceClock(890)
    await emu.control.approve(code.user_code)
    await emu.control.advanceClock(59)
    expect((await poll(emu, code.device_code)).status).to.equal(200)

    const late = await newCode(emu)
    await emu.control.advanceClock(890)
    await emu.control.approve(late.user_code)
    await emu.control.advanceClock(61)
    expectRfc(await poll(emu, late.device_code), 400, 'expired_token')
  })

  it('keeps a late denial for at least 1 s', async () => {
    const code = await newCode(emu)
    await emu.control.advanceClock(899.9)
    await emu.control.deny(code.user_code)
    await emu.control.advanceClock(0.5)
    expectRfc(await poll(emu, code.device_code), 400, 'access_denied')
  })

  it('does not compare client_id with the one used at code creation', async () => {
    const code = await newCode(emu)
    await emu.control.approve(code.user_code)
    const answer = await api.post(emu, 'oauth/device/token', {client_id: 'someone-else', device_code: code.device_code})
    expect(answer.status).to.equal(200)
  })

  it('is never rate limited with 429', async () => {
    await emu.control.patchConfig({interval_s: 0, rate_limits: {device_code: {limit: 1}, lookup: {limit: 1}, per_token: {limit: 1}}})
    const code = await newCode(emu)
    for (let i = 0; i < 30; i++) expectRfc(await poll(emu, code.device_code), 400, 'authorization_pending')
  })

  describe('auto_decide', () => {
    it('approves just before the N-th poll: pending, pending, then 200', async () => {
      await emu.control.patchConfig({auto_decide: {account: 'demo@example.com', action: 'approve', after_polls: 3}})
      const code = await newCode(emu)
      expectRfc(await poll(emu, code.device_code), 400, 'authorization_pending')
      await emu.control.advanceClock(5)
      expectRfc(await poll(emu, code.device_code), 400, 'authorization_pending')
      await emu.control.advanceClock(5)
      const answer = await poll(emu, code.device_code)
      expect(answer.status).to.equal(200)
      expect(answer.json.account.email).to.equal('demo@example.com')
    })

    it('decides at creation with after_polls 0, and can deny', async () => {
      await emu.control.patchConfig({auto_decide: {action: 'approve', after_polls: 0}})
      const approved = await newCode(emu)
      expect((await emu.control.deviceCodes())[0].status).to.equal('approved')
      expect((await poll(emu, approved.device_code)).status).to.equal(200)
      await emu.control.patchConfig({auto_decide: {action: 'deny', after_polls: 1}})
      const denied = await newCode(emu)
      expectRfc(await poll(emu, denied.device_code), 400, 'access_denied')
    })

    it('counts polls per code in the control listing', async () => {
      const code = await newCode(emu)
      await poll(emu, code.device_code)
      await poll(emu, code.device_code)
      const [row] = await emu.control.deviceCodes()
      expect(row.polls).to.equal(2)
    })
  })
})
