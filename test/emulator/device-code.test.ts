import {expect} from 'chai'

import {startTestEmulator} from '../support/emulator.js'
import type {TestEmulator} from '../support/emulator.js'
import {api, expectErrorBody, expectRfc, newCode, request, USER_CODE} from './http.js'

describe('emulator: POST oauth/device/code', () => {
  let emu: TestEmulator
  before(async () => {
    emu = await startTestEmulator()
  })
  after(() => emu.close())
  beforeEach(() => emu.control.reset({config: true}))

  it('answers 200 with exactly the five members, in the formats of §3', async () => {
    const answer = await api.post(emu, 'oauth/device/code', {client_id: 'difyctl', device_label: 'difyctl on box'})
    expect(answer.status).to.equal(200)
    expect(answer.headers.get('content-type')).to.equal('application/json')
    expect(Object.keys(answer.json).sort()).to.deep.equal(['device_code', 'expires_in', 'interval', 'user_code', 'verification_uri'])
    expect(answer.json.device_code).to.match(/^dc_[A-Za-z0-9_-]{32}$/)
    expect(answer.json.user_code).to.match(USER_CODE)
    expect(answer.json.verification_uri).to.equal(`${emu.url}/device`)
    expect(answer.json.expires_in).to.equal(900)
    expect(answer.json.interval).to.equal(5)
  })

  it('keeps client_id, device_label and status in its state', async () => {
    const code = await newCode(emu, 'difyctl on build-runner-3')
    const [row] = await emu.control.deviceCodes()
    expect(row).to.include({client_id: 'difyctl', device_code: code.device_code, device_label: 'difyctl on build-runner-3', polls: 0, status: 'pending', user_code: code.user_code})
  })

  it('follows the interval, lifetime and verification_base knobs', async () => {
    await emu.control.patchConfig({expires_in_s: 30, interval_s: 1, verification_base: 'https://console.example.com/'})
    const code = await newCode(emu)
    expect(code).to.include({expires_in: 30, interval: 1, verification_uri: 'https://console.example.com/device'})
  })

  it('hands out distinct user codes from the alphabet', async () => {
    await emu.control.patchConfig({rate_limits: {device_code: {limit: 0}}})
    const codes = new Set<string>()
    for (let i = 0; i < 40; i++) codes.add((await newCode(emu)).user_code)
    expect(codes.size).to.equal(40)
    for (const code of codes) expect(code).to.match(USER_CODE)
  })

  it('answers unsupported_client for a client id not on the list', async () => {
    expectRfc(await api.post(emu, 'oauth/device/code', {client_id: 'other', device_label: 'x'}), 400, 'unsupported_client')
    await emu.control.patchConfig({known_client_ids: ['difyctl', 'other']})
    expect((await api.post(emu, 'oauth/device/code', {client_id: 'other', device_label: 'x'})).status).to.equal(200)
  })

  it('answers 400 bad_request for a missing field, a non-string, a non-JSON body or no JSON content type', async () => {
    expectErrorBody(await api.post(emu, 'oauth/device/code', {client_id: 'difyctl'}), 400, 'bad_request')
    expectErrorBody(await api.post(emu, 'oauth/device/code', {client_id: 'difyctl', device_label: 7}), 400, 'bad_request')
    expectErrorBody(await api.post(emu, 'oauth/device/code', [1, 2]), 400, 'bad_request')
    expectErrorBody(
      await request(emu.url, 'POST', 'oauth/device/code', {headers: {'Content-Type': 'application/json'}, rawBody: '{not json'}),
      400,
      'bad_request',
    )
    expectErrorBody(
      await request(emu.url, 'POST', 'oauth/device/code', {
        headers: {'Content-Type': 'text/plain'},
        rawBody: JSON.stringify({client_id: 'difyctl', device_label: 'x'}),
      }),
      400,
      'bad_request',
    )
    expectErrorBody(await api.post(emu, 'oauth/device/code'), 400, 'bad_request')
  })

  it('rate limits per IP with a sliding window: 429 rate_limited without Retry-After; bad bodies count', async () => {
    await emu.control.patchConfig({rate_limits: {device_code: {limit: 2, window_s: 3600}}})
    expect((await api.post(emu, 'oauth/device/code', {})).status).to.equal(400)
    await emu.control.advanceClock(1800)
    expect((await api.post(emu, 'oauth/device/code', {client_id: 'difyctl', device_label: 'x'})).status).to.equal(200)
    const refused = await api.post(emu, 'oauth/device/code', {client_id: 'difyctl', device_label: 'x'})
    expectErrorBody(refused, 429, 'too_many_requests', 'rate_limited')
    expect(refused.headers.has('retry-after')).to.equal(false)
    // The first request leaves the window after an hour; the refused one was never counted.
    await emu.control.advanceClock(1801)
    expect((await api.post(emu, 'oauth/device/code', {client_id: 'difyctl', device_label: 'x'})).status).to.equal(200)
    expectErrorBody(await api.post(emu, 'oauth/device/code', {client_id: 'difyctl', device_label: 'x'}), 429, 'too_many_requests')
  })

  it('checks the rate limit before the body, and limit 0 disables it', async () => {
    await emu.control.patchConfig({rate_limits: {device_code: {limit: 1, window_s: 60}}})
    await newCode(emu)
    expectErrorBody(await api.post(emu, 'oauth/device/code', {}), 429, 'too_many_requests')
    await emu.control.patchConfig({rate_limits: {device_code: {limit: 0}}})
    for (let i = 0; i < 5; i++) await newCode(emu)
  })
})
