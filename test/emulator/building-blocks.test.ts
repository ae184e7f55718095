import {expect} from 'chai'

import {Clock} from '../../emulator/clock.js'
import {IdGenerator, USER_CODE_ALPHABET} from '../../emulator/ids.js'
import {seededSource} from '../../emulator/random.js'
import {SlidingWindowLimiter} from '../../emulator/rate-limiter.js'
import {formatTimestamp, parseTimestamp} from '../../emulator/time-format.js'
import {compareVersions, parseVersion, versionGateMessage} from '../../emulator/version-gate.js'
import {startEmulator} from '../../emulator/index.js'
import {startTestEmulator} from '../support/emulator.js'
import {newCode, poll, USER_CODE, UUID} from './http.js'

describe('emulator: building blocks', () => {
  describe('timestamps', () => {
    it('formats exactly six fractional digits, or none when the fraction is zero', () => {
      const whole = Date.UTC(2026, 5, 2, 9, 14, 31) * 1000
      expect(formatTimestamp(whole, 'Z')).to.equal('2026-06-02T09:14:31Z')
      expect(formatTimestamp(whole + 123_456, 'Z')).to.equal('2026-06-02T09:14:31.123456Z')
      expect(formatTimestamp(whole + 5, '+00:00')).to.equal('2026-06-02T09:14:31.000005+00:00')
    })

    it('parses zones and fractions to the microsecond, and rejects nonsense', () => {
      const base = Date.UTC(2026, 5, 2, 9, 14, 31) * 1000
      expect(parseTimestamp('2026-06-02T09:14:31.123456Z')).to.equal(base + 123_456)
      expect(parseTimestamp('2026-06-02T11:14:31.5+02:00')).to.equal(base + 500_000)
      expect(parseTimestamp('2026-06-02T09:14:31.1234567Z')).to.equal(base + 123_456)
      for (const bad of ['2026-06-02', '2026-02-30T00:00:00Z', '2026-06-02T09:14:31', 'yesterday']) expect(parseTimestamp(bad), bad).to.equal(null)
    })
  })

  describe('identifiers', () => {
    it('follows the §3 formats', () => {
      const ids = new IdGenerator(seededSource('formats'))
      for (let i = 0; i < 200; i++) {
        expect(ids.deviceCode()).to.match(/^dc_[A-Za-z0-9_-]{32}$/)
        expect(ids.token('dfoa_')).to.match(/^dfoa_[A-Za-z0-9_-]{43}$/)
        expect(ids.token('dfoe_')).to.match(/^dfoe_[A-Za-z0-9_-]{43}$/)
        expect(ids.userCode()).to.match(USER_CODE)
        expect(ids.uuid()).to.match(UUID).and.match(/^.{14}4/)
      }

      expect(USER_CODE_ALPHABET).to.have.length(30)
      expect(USER_CODE_ALPHABET).to.not.match(/[012IOZ]/)
    })

    it('uses every letter of the alphabet', () => {
      const ids = new IdGenerator(seededSource('spread'))
      const seen = new Set<string>()
      for (let i = 0; i < 300; i++) for (const ch of ids.userCode().replace('-', '')) seen.add(ch)
      expect(seen.size).to.equal(30)
    })

    it('makes codes, tokens and ids reproducible with a seed, across instances and after reset', async () => {
      const run = async (emu: Awaited<ReturnType<typeof startTestEmulator>>) => {
        const code = await newCode(emu)
        await emu.control.approve(code.user_code)
        const payload = (await poll(emu, code.device_code)).json
        return [code.device_code, code.user_code, payload.token, payload.token_id]
      }

      const a = await startTestEmulator({config: {seed: 'fixture-1'}})
      const b = await startTestEmulator({config: {seed: 'fixture-1'}})
      const c = await startTestEmulator({config: {seed: 'fixture-2'}})
      try {
        const first = await run(a)
        expect(await run(b)).to.deep.equal(first)
        expect(await run(c)).to.not.deep.equal(first)
        await a.control.reset()
        expect(await run(a)).to.deep.equal(first)
      } finally {
        await Promise.all([a.close(), b.close(), c.close()])
      }
    })

    it('is random without a seed', async () => {
      const a = await startTestEmulator()
      const b = await startTestEmulator()
      try {
        expect((await newCode(a)).device_code).to.not.equal((await newCode(b)).device_code)
      } finally {
        await Promise.all([a.close(), b.close()])
      }
    })
  })

  describe('sliding window', () => {
    it('refuses at the limit, counts only accepted requests, and says when a slot frees', () => {
      const clock = new Clock()
      const limiter = new SlidingWindowLimiter(clock)
      const rule = {limit: 2, window_s: 10}
      expect(limiter.take('k', rule)).to.deep.equal({ok: true})
      clock.advance(4)
      expect(limiter.take('k', rule)).to.deep.equal({ok: true})
      clock.advance(1)
      expect(limiter.take('k', rule)).to.deep.equal({ok: false, retryAfterS: 5})
      clock.advance(4.5)
      expect(limiter.take('k', rule)).to.deep.equal({ok: false, retryAfterS: 1})
      clock.advance(0.6)
      expect(limiter.take('k', rule)).to.deep.equal({ok: true})
      expect(limiter.take('other', rule)).to.deep.equal({ok: true})
      expect(limiter.take('k', {limit: 0, window_s: 1})).to.deep.equal({ok: true})
    })
  })

  describe('version comparison', () => {
    it('orders dev < alpha = a < beta = b < rc < release, then by number', () => {
      const order = ['0.9.9', '1.0.0-dev', '1.0.0-dev.3', '1.0.0-a.1', '1.0.0-alpha.2', '1.0.0-b', '1.0.0-rc.1', '1.0.0-rc.11', '1.0.0', '1.0.1-dev', '1.2.0', '1.10.0']
      const parsed = order.map((v) => parseVersion(v)!)
      for (let i = 1; i < parsed.length; i++) expect(compareVersions(parsed[i - 1], parsed[i]), `${order[i - 1]} < ${order[i]}`).to.be.below(0)
      expect(compareVersions(parseVersion('1.0.0-alpha.1')!, parseVersion('1.0.0-a1')!)).to.equal(0)
    })

    it('only gates a User-Agent that begins with difyctl/<version>', () => {
      expect(versionGateMessage('difyctl/0.1.0 (linux; x64)', '0.2.0')).to.equal('difyctl 0.1.0 is no longer supported; upgrade to >= 0.2.0.')
      expect(versionGateMessage('difyctl/0.1.0', '0.2.0')).to.be.a('string')
      expect(versionGateMessage('difyctl/0.1.0 (linux; x64)', null)).to.equal(null)
      expect(versionGateMessage('xdifyctl/0.1.0', '0.2.0')).to.equal(null)
      expect(versionGateMessage(undefined, '0.2.0')).to.equal(null)
    })
  })

  describe('startEmulator', () => {
    it('runs several independent instances at once', async () => {
      const [a, b] = await Promise.all([startEmulator(), startEmulator()])
      try {
        expect(a.url).to.not.equal(b.url)
        const code = await fetch(`${a.url}/openapi/v1/oauth/device/code`, {
          body: JSON.stringify({client_id: 'difyctl', device_label: 'x'}),
          headers: {'Content-Type': 'application/json'},
          method: 'POST',
        })
        expect(code.status).to.equal(200)
        expect(await (await fetch(`${b.url}/_emulator/device-codes`)).json()).to.deep.equal([])
        expect(await (await fetch(`${a.url}/_emulator/device-codes`)).json()).to.have.length(1)
      } finally {
        await Promise.all([a.close(), b.close()])
      }
    })

    it('refuses a non-loopback host', async () => {
      let refused: unknown
      try {
        await startEmulator({host: '0.0.0.0' as '127.0.0.1'})
      } catch (error) {
        refused = error
      }

      expect(String(refused)).to.include('loopback')
    })

    it('closes promptly even with a request held by a delay fault', async () => {
      const emu = await startTestEmulator()
      await emu.control.addFault({delay_ms: 60_000, route: '*'})
      const hanging = fetch(`${emu.url}/openapi/v1/_health`).catch(() => 'closed')
      await new Promise((resolve) => setTimeout(resolve, 50))
      const started = Date.now()
      await emu.close()
      expect(await hanging).to.equal('closed')
      expect(Date.now() - started).to.be.below(1000)
    })
  })
})
