import {expect} from 'chai'
import {spawn, spawnSync} from 'node:child_process'
import path from 'node:path'

import {KeychainStore} from '../../../src/lib/credentials/keychain.js'
import {systemClock} from '../../../src/lib/io/system.js'
import {finished, runFixture} from '../config/fixtures/process.js'

const ROOT = path.resolve(import.meta.dirname, '../../..')
const WITH_KEYRING = path.join(ROOT, 'scripts', 'with-keyring.sh')
const OP = path.join(import.meta.dirname, 'fixtures', 'keychain-op.ts')

interface OpReport {
  op: string
  ms: number
  value?: string | boolean | null
  code?: string
  reason?: string
  signal?: string | null
}

function reports(stdout: string): OpReport[] {
  return stdout.trim().split('\n').map((line) => JSON.parse(line) as OpReport)
}

/**
 * Against a real Secret Service: gnome-keyring in a private D-Bus session. Run through
 * scripts/with-keyring.sh, which also marks the environment; without it these tests fail on purpose
 * (skipping would hide a keychain backend that was never exercised, and running against a desktop
 * session would write to, and lock, the user's own keyring).
 */
describe('KeychainStore against a real Secret Service', function () {
  this.timeout(60_000)
  const store = new KeychainStore({clock: systemClock})
  const ref = {account: `ada+${process.pid}@example.com`, host: 'dify.example.com:8443'}

  before(() => {
    if (process.env.DIFYCTL_TEST_KEYRING !== '1') {
      throw new Error('these tests need a private Secret Service: run them as scripts/with-keyring.sh npx mocha ...')
    }
  })

  afterEach(async () => {
    await store.delete(ref).catch(() => {})
  })

  it('stores, reads, replaces and deletes a token', async () => {
    await store.set(ref, 'first-token')
    expect(await store.get(ref)).to.equal('first-token')
    await store.set(ref, 'second-token')
    expect(await store.get(ref)).to.equal('second-token')
    expect(await store.delete(ref)).to.equal(true)
    expect(await store.get(ref)).to.equal(null)
    expect(await store.delete(ref)).to.equal(false)
  })

  it('keeps accounts apart, under service difyctl and account <host>/<email>', async () => {
    const other = {account: `grace+${process.pid}@example.com`, host: ref.host}
    await store.set(ref, 'ada-token')
    await store.set(other, 'grace-token')
    try {
      expect(await store.get(ref)).to.equal('ada-token')
      expect(await store.get(other)).to.equal('grace-token')
      const lookup = spawnSync('secret-tool', ['lookup', 'service', 'difyctl', 'username', `${ref.host}/${ref.account}`], {encoding: 'utf8'})
      expect(lookup.stdout).to.equal('ada-token')
    } finally {
      await store.delete(other)
    }
  })

  it('answers a missing item with null, and deleting it with false', async () => {
    const missing = {account: 'nobody@example.com', host: 'missing.example.com'}
    expect(await store.get(missing)).to.equal(null)
    expect(await store.delete(missing)).to.equal(false)
  })

  it('measures call latency', async () => {
    await store.set(ref, 'token')
    const times: number[] = []
    for (let index = 0; index < 20; index++) {
      const started = performance.now()
      await store.get(ref)
      times.push(performance.now() - started)
    }

    times.sort((a, b) => a - b)
    console.log(`      keychain get: median ${times[10].toFixed(1)} ms, max ${times[19].toFixed(1)} ms`)
    expect(times[19]).to.be.below(1000)
  })

  it('given a locked keyring, reading, writing and deleting the token fail with keyring_unavailable', async () => {
    // Locking is for the rest of a session and cannot be undone without a prompt, so it happens in a
    // nested private session of its own.
    const child = spawn(WITH_KEYRING, [process.execPath, '--import', 'tsx', OP, 'set:before-lock', 'get', 'lock', 'get', 'set:after-lock', 'delete'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    const result = await finished(child)
    expect(result.code, result.stderr).to.equal(0)
    const [set, get, lock, lockedGet, lockedSet, lockedDelete] = reports(result.stdout)
    expect(set.value).to.equal(null)
    expect(get.value).to.equal('before-lock')
    expect(lock.op).to.equal('lock')
    for (const report of [lockedGet, lockedSet, lockedDelete]) {
      expect(report.code, report.op).to.equal('keyring_unavailable')
      expect(report.reason, report.op).to.equal('the keyring is locked or not answering')
      expect(report.ms, report.op).to.be.below(3000)
    }
  })

  it('given no D-Bus session in the environment, fails with keyring_unavailable at once', async () => {
    const env = {...process.env}
    delete env.DBUS_SESSION_BUS_ADDRESS
    const started = performance.now()
    const result = await runFixture(OP, ['get', 'set:x', 'delete'], env)
    expect(result.code, result.stderr).to.equal(0)
    for (const report of reports(result.stdout)) {
      expect(report.code, report.op).to.equal('keyring_unavailable')
      expect(report.reason, report.op).to.include('DBUS_SESSION_BUS_ADDRESS')
      expect(report.ms, report.op).to.be.below(1000)
    }

    expect(performance.now() - started).to.be.below(10_000)
  })

  it('given a bus address that leads nowhere, fails with keyring_unavailable at once', async () => {
    const result = await runFixture(OP, ['get'], {...process.env, DBUS_SESSION_BUS_ADDRESS: 'unix:path=/nonexistent/difyctl-bus'})
    const [report] = reports(result.stdout)
    expect(report.code).to.equal('keyring_unavailable')
    expect(report.reason).to.equal('the D-Bus session bus cannot be reached')
  })
})
