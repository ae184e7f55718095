import {expect} from 'chai'
import {readdir, readFile, writeFile} from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'

import {withFileLock} from '../../../src/lib/config/file-lock.js'
import {DifyError} from '../../../src/lib/errors/dify-error.js'
import {systemClock} from '../../../src/lib/io/system.js'
import {deadPid, runFixture, tempDir} from './fixtures/process.js'

const FIXTURES = path.join(import.meta.dirname, 'fixtures')

function staleLockText(pid: number, createdAt = Date.now(), hostname = os.hostname()): string {
  return JSON.stringify({createdAt, hostname, pid, token: 'feedfacefeedface'})
}

/** Asserts that enter/exit marks in a log never overlap. */
function assertSerial(lines: string[]): void {
  for (let index = 0; index < lines.length; index += 2) {
    const [enter, exit] = [lines[index], lines[index + 1]]
    expect(enter, `line ${index}`).to.match(/^enter /)
    expect(exit, `line ${index + 1}`).to.equal(enter.replace('enter', 'exit'))
  }
}

describe('withFileLock', () => {
  let dir: string
  let lockPath: string
  let cleanup: () => Promise<void>
  beforeEach(async () => {
    ;({cleanup, dir} = await tempDir())
    lockPath = path.join(dir, 'hosts.yml.lock')
  })
  afterEach(() => cleanup())

  it('runs the function, returns its value and removes the lock file', async () => {
    const value = await withFileLock(lockPath, async () => {
      const owner = JSON.parse(await readFile(lockPath, 'utf8')) as {pid: number; hostname: string}
      expect(owner.pid).to.equal(process.pid)
      expect(owner.hostname).to.equal(os.hostname())
      return 42
    }, {clock: systemClock})
    expect(value).to.equal(42)
    expect(await readdir(dir)).to.deep.equal([])
  })

  it('releases the lock when the function throws', async () => {
    const error = await withFileLock(lockPath, () => {
      throw new Error('boom')
    }, {clock: systemClock}).then(() => undefined, (error_: unknown) => error_)
    expect((error as Error).message).to.equal('boom')
    expect(await readdir(dir)).to.deep.equal([])
  })

  it('given a held lock, waits for its release and then enters', async () => {
    const events: string[] = []
    let release!: () => void
    const holding = withFileLock(lockPath, async () => {
      events.push('first in')
      await new Promise<void>((resolve) => (release = resolve))
      events.push('first out')
    }, {clock: systemClock})
    await systemClock.sleep(20)
    const started = performance.now()
    const waiting = withFileLock(lockPath, () => events.push('second in'), {clock: systemClock})
    await systemClock.sleep(300)
    expect(events).to.deep.equal(['first in'])
    release()
    await Promise.all([holding, waiting])
    expect(events).to.deep.equal(['first in', 'first out', 'second in'])
    expect(performance.now() - started).to.be.within(300, 1500)
  })

  it('given a lock that is never released, times out with lock_timeout naming the lock file', async () => {
    let release!: () => void
    const holding = withFileLock(lockPath, () => new Promise<void>((resolve) => (release = resolve)), {clock: systemClock})
    await systemClock.sleep(20)
    const started = performance.now()
    const error = await withFileLock(lockPath, () => 'entered', {clock: systemClock, timeoutMs: 400}).then(
      () => undefined,
      (error_: unknown) => error_,
    )
    const waited = performance.now() - started
    release()
    await holding
    expect(error).to.be.instanceOf(DifyError)
    expect((error as DifyError).code).to.equal('lock_timeout')
    expect((error as DifyError).exitCode).to.equal(1)
    expect((error as DifyError).hint).to.include(lockPath)
    expect((error as DifyError).message).to.include(`pid ${process.pid}`)
    expect(waited).to.be.within(380, 1500)
  })

  it('given many callers in this process at once, lets exactly one in at a time', async () => {
    let inside = 0
    let most = 0
    let entered = 0
    await Promise.all(
      Array.from({length: 12}, () =>
        withFileLock(
          lockPath,
          async () => {
            inside++
            entered++
            most = Math.max(most, inside)
            await systemClock.sleep(2)
            inside--
          },
          {clock: systemClock, timeoutMs: 10_000},
        ),
      ),
    )
    expect(entered).to.equal(12)
    expect(most).to.equal(1)
  })

  it('given a lock left by a dead process on this host, recovers it at once', async () => {
    await writeFile(lockPath, staleLockText(await deadPid()))
    const started = performance.now()
    expect(await withFileLock(lockPath, () => 'entered', {clock: systemClock, timeoutMs: 2000})).to.equal('entered')
    expect(performance.now() - started).to.be.below(1000)
    expect(await readdir(dir)).to.deep.equal([])
  })

  it('given a lock naming our own pid that this process does not hold (pid reuse), recovers it', async () => {
    await writeFile(lockPath, staleLockText(process.pid))
    expect(await withFileLock(lockPath, () => 'entered', {clock: systemClock, timeoutMs: 2000})).to.equal('entered')
  })

  it('given a live owner on this host, does not steal the lock', async () => {
    const text = staleLockText(process.ppid)
    await writeFile(lockPath, text)
    const error = await withFileLock(lockPath, () => 'entered', {clock: systemClock, timeoutMs: 200}).then(
      () => undefined,
      (error_: unknown) => error_,
    )
    expect((error as DifyError).code).to.equal('lock_timeout')
    expect(await readFile(lockPath, 'utf8')).to.equal(text)
  })

  it('given a lock from another host, waits, and recovers it only once older than staleMs', async () => {
    await writeFile(lockPath, staleLockText(1, Date.now(), 'elsewhere.example'))
    const young = await withFileLock(lockPath, () => 'entered', {clock: systemClock, staleMs: 60_000, timeoutMs: 200}).then(
      () => undefined,
      (error_: unknown) => error_,
    )
    expect((young as DifyError).code).to.equal('lock_timeout')
    await writeFile(lockPath, staleLockText(1, Date.now() - 120_000, 'elsewhere.example'))
    expect(await withFileLock(lockPath, () => 'entered', {clock: systemClock, staleMs: 60_000, timeoutMs: 2000})).to.equal('entered')
  })

  it('given an empty lock file (its creator between open and write), judges it by its age', async () => {
    await writeFile(lockPath, '')
    const fresh = await withFileLock(lockPath, () => 'entered', {clock: systemClock, timeoutMs: 200}).then(
      () => undefined,
      (error_: unknown) => error_,
    )
    expect((fresh as DifyError).code).to.equal('lock_timeout')
    expect(await withFileLock(lockPath, () => 'entered', {clock: systemClock, staleMs: 0, timeoutMs: 2000})).to.equal('entered')
  })

  it('given many waiters in this process racing to recover a dead lock, lets exactly one in at a time', async () => {
    await writeFile(lockPath, staleLockText(await deadPid()))
    let inside = 0
    let most = 0
    const living = new Set(Array.from({length: 12}, (_, index) => 4_000_000 + index))
    const fakeOthers = Array.from({length: 12}, async (_, index) =>
      withFileLock(
        lockPath,
        async () => {
          inside++
          most = Math.max(most, inside)
          await systemClock.sleep(5)
          inside--
        },
        // Each waiter poses as its own live process, so none is trusted merely as "this process".
        {clock: systemClock, isProcessAlive: (pid) => living.has(pid), pid: 4_000_000 + index, timeoutMs: 10_000},
      ),
    )
    await Promise.all(fakeOthers)
    expect(most).to.equal(1)
    expect(await readdir(dir)).to.deep.equal([])
  })

  it('given a waiter that judged a dead lock stale while another recovered it first, does not delete the new holder\'s lock', async () => {
    await writeFile(lockPath, staleLockText(await deadPid()))
    const living = new Set([4_100_001, 4_100_002])
    const log: string[] = []
    let firstInside!: () => void
    const firstIsInside = new Promise<void>((resolve) => (firstInside = resolve))
    const first = withFileLock(
      lockPath,
      async () => {
        log.push('enter 1')
        firstInside()
        await systemClock.sleep(300)
        log.push('exit 1')
      },
      {clock: systemClock, isProcessAlive: (pid) => living.has(pid), pid: 4_100_001},
    )
    // The second waiter saw the dead owner too, but is held inside the race until the first is in.
    let held = false
    const second = withFileLock(
      lockPath,
      async () => {
        log.push('enter 2')
        await systemClock.sleep(5)
        log.push('exit 2')
      },
      {
        async beforeBreak() {
          if (held) return
          held = true
          await firstIsInside
        },
        clock: systemClock,
        isProcessAlive: (pid) => living.has(pid),
        pid: 4_100_002,
      },
    )
    await Promise.all([first, second])
    expect(held).to.equal(true)
    expect(log).to.deep.equal(['enter 1', 'exit 1', 'enter 2', 'exit 2'])
  })

  it('given several processes racing to recover a dead lock, they still enter one at a time', async function () {
    this.timeout(120_000)
    await writeFile(lockPath, staleLockText(await deadPid()))
    const logPath = path.join(dir, 'critical.log')
    const results = await Promise.all(Array.from({length: 8}, () => runFixture(path.join(FIXTURES, 'lock-critical.ts'), [lockPath, logPath, '30'])))
    for (const result of results) expect(result.code, result.stderr).to.equal(0)
    const lines = (await readFile(logPath, 'utf8')).trim().split('\n')
    expect(lines).to.have.length(16)
    assertSerial(lines)
    expect((await readdir(dir)).sort()).to.deep.equal(['critical.log'])
  })
})
