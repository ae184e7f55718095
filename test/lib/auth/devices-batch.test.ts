import {expect} from 'chai'

import type {RevokeAnswer} from '../../../src/lib/api/sessions.js'
import {revokeSessionById} from '../../../src/lib/api/sessions.js'
import {batchProgress, type BatchProgress, revokeBatch} from '../../../src/lib/auth/devices-batch.js'
import {DifyError} from '../../../src/lib/errors/dify-error.js'
import {FakeSessionsClient, sessionRow} from '../../support/fake-sessions.js'
import {ManualClock} from '../../support/fakes.js'
import {instantClock} from '../../support/instant-clock.js'

function recordingProgress() {
  const events: string[] = []
  const progress: BatchProgress = {
    advance: (done, total) => events.push(`advance ${done}/${total}`),
    start: (total) => events.push(`start ${total}`),
    stop: () => events.push('stop'),
    waiting: (seconds, done, total) => events.push(`wait ${seconds}s at ${done}/${total}`),
  }
  return {events, progress}
}

const rows = (count: number) => Array.from({length: count}, (_, index) => sessionRow(index))

describe('auth/devices-batch', () => {
  it('revokes every id with at most `concurrency` requests in flight, and uses that many', async () => {
    const client = new FakeSessionsClient(rows(40), {latencyMs: 2})
    const clock = new ManualClock()
    const ids = client.sessions.map((row) => row.id)
    const report = await revokeBatch({
      clock,
      concurrency: 4,
      host: 'h',
      ids,
      revoke: (id) => revokeSessionById(client, id, {now: () => clock.now()}),
    })
    expect(report.revoked).to.deep.equal(ids)
    expect(report.failed).to.deep.equal([])
    expect(client.maxInFlight).to.equal(4)
    expect(client.sessions).to.deep.equal([])
  })

  it('survives a per-token limit: all workers wait the advised time together, announced once per wait', async () => {
    const clock = instantClock()
    const client = new FakeSessionsClient(rows(150), {clock, rateLimit: {limit: 60, windowMs: 60_000}})
    const {events, progress} = recordingProgress()
    const ids = client.sessions.map((row) => row.id)
    const report = await revokeBatch({clock, concurrency: 6, host: 'h', ids, progress, revoke: (id) => revokeSessionById(client, id, {now: () => clock.now()})})
    expect(report.revoked).to.have.length(150)
    expect(report.notAttempted).to.deep.equal([])
    const waits = events.filter((event) => event.startsWith('wait'))
    // 150 requests at 60 a minute: two full windows must pass, and each is one shared pause.
    expect(waits).to.have.length(2)
    expect(waits[0]).to.match(/^wait 60s at 60\/150$/)
    expect(clock.sleeps.every((ms) => ms >= 60_000)).to.equal(true)
    expect(events[0]).to.equal('start 150')
    expect(events.at(-1)).to.equal('stop')
    expect(events).to.include('advance 150/150')
  })

  it('F13: a Retry-After longer than the bound stops at once with rate_limited, nothing slept', async () => {
    const clock = instantClock()
    const answers: RevokeAnswer[] = [{outcome: 'revoked'}, {outcome: 'rate_limited', retryAfterS: 3600}]
    const report = await revokeBatch({clock, concurrency: 1, host: 'h', ids: ['a', 'b', 'c'], revoke: async () => answers.shift() ?? {outcome: 'revoked'}})
    expect(report.revoked).to.deep.equal(['a'])
    expect(report.notAttempted).to.deep.equal(['b', 'c'])
    expect(report.stoppedBy?.code).to.equal('rate_limited')
    expect(report.stoppedBy?.message).to.include('3600s (1h)')
    expect(clock.sleeps).to.deep.equal([])
  })

  it('gives up after three waits in a row with nothing revoked in between', async () => {
    const clock = instantClock()
    const report = await revokeBatch({clock, concurrency: 2, host: 'h', ids: ['a', 'b'], revoke: async () => ({outcome: 'rate_limited', retryAfterS: 2})})
    expect(report.stoppedBy?.code).to.equal('rate_limited')
    expect(report.stoppedBy?.message).to.include('3 waits')
    expect(clock.sleeps).to.have.length(3)
    expect(report.notAttempted).to.deep.equal(['a', 'b'])
  })

  it('a 404 fails that id only; the rest go on', async () => {
    const client = new FakeSessionsClient(rows(3))
    const report = await revokeBatch({
      clock: new ManualClock(),
      host: 'h',
      ids: [sessionRow(0).id, 'gone', sessionRow(2).id],
      revoke: (id) => revokeSessionById(client, id, {now: () => 0}),
    })
    expect(report.revoked).to.deep.equal([sessionRow(0).id, sessionRow(2).id])
    expect(report.failed.map((failure) => [failure.id, failure.error.code])).to.deep.equal([['gone', 'no_match']])
    expect(report.stoppedBy).to.equal(undefined)
  })

  it('a dead token (401) stops the batch: the rest are reported as not attempted', async () => {
    let calls = 0
    const report = await revokeBatch({
      clock: new ManualClock(),
      concurrency: 1,
      host: 'h',
      ids: ['a', 'b', 'c', 'd'],
      async revoke() {
        calls += 1
        if (calls === 2) throw new DifyError('auth_expired', 'rejected')
        return {outcome: 'revoked'}
      },
    })
    expect(report.revoked).to.deep.equal(['a'])
    expect(report.failed.map((failure) => failure.id)).to.deep.equal(['b'])
    expect(report.notAttempted).to.deep.equal(['c', 'd'])
    expect(report.stoppedBy?.code).to.equal('auth_expired')
    expect(calls).to.equal(2)
  })

  it('a server error on one row fails that row only', async () => {
    const report = await revokeBatch({
      clock: new ManualClock(),
      concurrency: 2,
      host: 'h',
      ids: ['a', 'b', 'c'],
      revoke: async (id) => {
        if (id === 'b') throw new DifyError('server_error', 'HTTP 500')
        return {outcome: 'revoked'}
      },
    })
    expect(report.revoked).to.deep.equal(['a', 'c'])
    expect(report.failed.map((failure) => failure.id)).to.deep.equal(['b'])
    expect(report.stoppedBy).to.equal(undefined)
  })

  it('Ctrl-C during a wait stops the batch as interrupted, without sending the waiting id again', async () => {
    const controller = new AbortController()
    const clock = {
      now: () => 0,
      sleep: async () => {
        controller.abort(new DifyError('interrupted', 'interrupted'))
        throw controller.signal.reason
      },
    }
    const sent: string[] = []
    const report = await revokeBatch({
      clock,
      concurrency: 1,
      host: 'h',
      ids: ['a', 'b'],
      revoke: async (id) => {
        sent.push(id)
        return {outcome: 'rate_limited', retryAfterS: 5}
      },
      signal: controller.signal,
    })
    expect(report.stoppedBy?.code).to.equal('interrupted')
    expect(sent).to.deep.equal(['a'])
    expect(report.notAttempted).to.deep.equal(['a', 'b'])
  })

  describe('batchProgress', () => {
    const capture = (isTTY: boolean) => {
      let text = ''
      const streams = {stderr: {isTTY, write: (chunk: string) => (text += chunk)}, stdinIsTTY: isTTY, stdout: {write: () => true}}
      return {read: () => text, streams}
    }

    it('off a terminal: no progress lines, one plain line per wait, no escapes', () => {
      const {read, streams} = capture(false)
      const progress = batchProgress(streams, {}, 'dify.example.com')
      progress.start(10)
      progress.advance(3, 10)
      progress.waiting(42, 3, 10)
      progress.stop()
      expect(read()).to.equal('rate limited by dify.example.com; waiting 42s as the server asked (3 of 10 done so far)\n')
    })

    it('under CI even a terminal gets plain lines only', () => {
      const {read, streams} = capture(true)
      const progress = batchProgress(streams, {CI: 'true'}, 'h')
      progress.start(10)
      progress.advance(3, 10)
      progress.stop()
      expect(read()).to.equal('')
    })

    it('on a terminal: animates in place, keeps the wait notice as its own line, restores the cursor', () => {
      const {read, streams} = capture(true)
      const progress = batchProgress(streams, {}, 'h')
      progress.start(10)
      progress.waiting(5, 2, 10)
      progress.stop()
      const text = read()
      expect(text).to.include('revoking sessions: 0 of 10 done')
      expect(text).to.include('rate limited by h; waiting 5s as the server asked (2 of 10 done so far)\n')
      expect(text.endsWith('\u001B[?25h')).to.equal(true)
    })
  })
})
