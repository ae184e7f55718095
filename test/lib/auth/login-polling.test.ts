import {expect} from 'chai'

import {createHttpClient} from '../../../src/lib/api/http-client.js'
import {login, type LoginOptions} from '../../../src/lib/auth/login.js'
import {type Clock, systemClock} from '../../../src/lib/io/system.js'
import {MemoryHosts, ScriptedPrompter} from '../../support/fakes.js'
import {startTestEmulator, type TestEmulator} from '../../support/emulator.js'

/** Real time, but every sleep ends early by `factor`: timers that run fast. */
function fastTimers(factor: number): Clock {
  return {now: () => Date.now(), sleep: (ms, signal) => systemClock.sleep(ms * factor, signal)}
}

/** Poll answers as the client saw them (`authorization_pending`, `slow_down`, or `token`). */
function options(emulator: TestEmulator, clock: Clock, answers: string[] = []): LoginOptions {
  return {
    allowHttp: true,
    clock,
    host: emulator.url,
    hostname: 'polling-test',
    hosts: new MemoryHosts(),
    interactive: false,
    noBrowser: true,
    openBrowser: async () => ({opened: false}),
    prompter: new ScriptedPrompter(),
    removeToken: async () => {},
    checkTokenStorage: async () => {},
    saveToken: async () => ({storage: 'sealed-file'}),
    signal: new AbortController().signal,
    status: {notice() {}, start() {}, stop() {}, update() {}},
    tell() {},
    async transportFor(host) {
      const client = createHttpClient({baseUrl: host.baseUrl, clock, env: {}, userAgent: 'difyctl/0.1.0 (linux; x64)'})
      return {
        async request<T>(request: Parameters<typeof client.request>[0]) {
          const response = await client.request<T>(request)
          const body = response.body as {error?: string; token?: string}
          if (request.path === 'oauth/device/token') answers.push(body.error ?? (body.token ? 'token' : 'other'))
          return response
        },
      }
    },
  }
}

describe('auth/login polling against the emulator’s real slow_down rule', function () {
  this.timeout(60_000)
  let emulator: TestEmulator
  afterEach(() => emulator.close())

  it('approved after ~12 s with the real 5-second interval: zero slow_down answers and the minimum number of polls', async () => {
    emulator = await startTestEmulator()
    const started = Date.now()
    const answers: string[] = []
    const pending = login(options(emulator, systemClock, answers))
    setTimeout(() => void emulator.control.approve('latest'), 12_000)
    await pending
    // Polls at ~5, ~10 (pending) and ~15 s (approved): three is the least any compliant client needs.
    expect(answers).to.deep.equal(['authorization_pending', 'authorization_pending', 'token'])
    expect(Date.now() - started).to.be.lessThan(17_000)
  })

  it('F01: with client timers 10 % fast, the login still succeeds, with at most one slow_down, after which the wait grows by 5 s', async () => {
    emulator = await startTestEmulator({config: {interval_s: 1}})
    const sleeps: number[] = []
    const answers: string[] = []
    const fast = fastTimers(0.9)
    const clock: Clock = {now: fast.now, sleep: (ms, signal) => (sleeps.push(ms), fast.sleep(ms, signal))}
    const pending = login(options(emulator, clock, answers))
    setTimeout(() => void emulator.control.approve('latest'), 8000)
    const result = await pending
    expect(result.human).to.match(/^✓ Logged in/)
    expect(answers.filter((answer) => answer === 'slow_down').length).to.be.at.most(1)
    expect(answers.at(-1)).to.equal('token')
    const slowDownAt = answers.indexOf('slow_down')
    if (slowDownAt !== -1) {
      // The wait after a slow_down is the interval plus 5 s, for the rest of the flow.
      expect(sleeps.slice(slowDownAt + 1)).to.satisfy((later: number[]) => later.every((ms) => ms === 6000))
    }

    expect(sleeps[0]).to.equal(1000)
  })
})
