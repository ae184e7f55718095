import {expect} from 'chai'
import {readdir, readFile, stat, writeFile, mkdir} from 'node:fs/promises'
import path from 'node:path'

import {HostsStore} from '../../../src/lib/config/hosts-store.js'
import {type AccountContext, parseHostsFile} from '../../../src/lib/config/hosts.js'
import {listContexts, upsertContext} from '../../../src/lib/config/registry.js'
import {DifyError} from '../../../src/lib/errors/dify-error.js'
import {systemClock} from '../../../src/lib/io/system.js'
import {finished, runFixture, startFixture, tempDir, waitForLine} from './fixtures/process.js'

const FIXTURES = path.join(import.meta.dirname, 'fixtures')

function account(email: string): AccountContext {
  return {
    accountId: '0012345',
    email,
    name: 'Ada',
    subjectIssuer: null,
    subjectType: 'account',
    tokenExpiresAt: '2026-07-01T00:00:00Z',
    tokenId: 'tok-1',
    tokenStorage: 'keychain',
    workspace: {id: 'ws-1', name: '12.10', role: 'owner'},
  }
}

async function caught(promise: Promise<unknown>): Promise<DifyError> {
  const error = await promise.then(() => undefined, (error_: unknown) => error_)
  expect(error, 'expected a DifyError').to.be.instanceOf(DifyError)
  return error as DifyError
}

describe('HostsStore', () => {
  let base: string
  let configDir: string
  let cleanup: () => Promise<void>
  let store: HostsStore
  beforeEach(async () => {
    ;({cleanup, dir: base} = await tempDir())
    configDir = path.join(base, 'config', 'difyctl')
    store = new HostsStore({clock: systemClock, configDir})
  })
  afterEach(() => cleanup())

  it('given no file, reads no contexts and creates nothing', async () => {
    expect(listContexts(await store.read())).to.deep.equal([])
    expect(await readdir(base)).to.deep.equal([])
  })

  it('given an empty file, reads no contexts', async () => {
    await mkdir(configDir, {recursive: true})
    await writeFile(store.path, '')
    expect(listContexts(await store.read())).to.deep.equal([])
    await writeFile(store.path, '\n  \n')
    expect(listContexts(await store.read())).to.deep.equal([])
  })

  it('round-trips contexts through update and read, strings staying strings', async () => {
    await store.update((file) => upsertContext(file, 'dify.example.com:8443', 'https://dify.example.com:8443/console', account('ada@example.com')))
    const file = await store.read()
    expect(file.currentHost).to.equal('dify.example.com:8443')
    expect(file.hosts['dify.example.com:8443'].baseUrl).to.equal('https://dify.example.com:8443/console')
    expect(file.hosts['dify.example.com:8443'].accounts['ada@example.com']).to.deep.equal(account('ada@example.com'))
  })

  it('writes the directory 0700 and the file 0600', async () => {
    await store.update((file) => upsertContext(file, 'h', 'https://h', account('a@b.c')))
    expect((await stat(configDir)).mode & 0o777).to.equal(0o700)
    expect((await stat(store.path)).mode & 0o777).to.equal(0o600)
    expect((await readdir(configDir)).sort()).to.deep.equal(['hosts.yml'])
  })

  it('returns what the mutation returns, and writes nothing when it changed nothing', async () => {
    const answer = await store.update((file) => Object.keys(file.hosts).length)
    expect(answer).to.equal(0)
    expect(await readdir(configDir)).to.deep.equal([])
  })

  it('given a mutation that throws, writes nothing and releases the lock', async () => {
    await store.update((file) => upsertContext(file, 'h', 'https://h', account('a@b.c')))
    const before = await readFile(store.path)
    const error = await store.update((file) => {
      file.hosts = {}
      throw new DifyError('declined', 'no')
    }).then(() => undefined, (error_: unknown) => error_)
    expect((error as DifyError).code).to.equal('declined')
    expect(await readFile(store.path)).to.deep.equal(before)
    expect(await readdir(configDir)).to.deep.equal(['hosts.yml'])
  })

  it('given a garbled file, read and update fail with config_corrupt naming file and line, and the bytes stay', async () => {
    await mkdir(configDir, {recursive: true})
    for (const [garbled, line] of [['hosts: [', 2], ['version: 1\ncurrent_host: a\nhosts: [\n', 4]] as const) {
      await writeFile(store.path, garbled, {mode: 0o600})
      for (const attempt of [store.read(), store.update((file) => upsertContext(file, 'h', 'https://h', account('a@b.c')))]) {
        const error = await caught(attempt)
        expect(error.code).to.equal('config_corrupt')
        expect(error.message.startsWith(`${store.path}:${line}: `), error.message).to.equal(true)
        expect(error.exitCode).to.equal(1)
      }

      expect(await readFile(store.path, 'utf8')).to.equal(garbled)
      expect(await readdir(configDir)).to.deep.equal(['hosts.yml'])
    }
  })

  it('given a file from a newer difyctl, fails with config_corrupt and leaves it', async () => {
    await mkdir(configDir, {recursive: true})
    const future = 'version: 2\nhosts: {}\n'
    await writeFile(store.path, future)
    const error = await caught(store.update((file) => upsertContext(file, 'h', 'https://h', account('a@b.c'))))
    expect(error.code).to.equal('config_corrupt')
    expect(error.message).to.include(store.path).and.include('newer difyctl')
    expect(await readFile(store.path, 'utf8')).to.equal(future)
  })

  it('given an unreadable path, fails with io_error', async () => {
    await mkdir(store.path, {recursive: true})
    const error = await caught(store.read())
    expect(error.code).to.equal('io_error')
    expect(error.message).to.include(store.path)
  })

  it('given 20 processes each adding its own context, keeps all 20 in a valid file', async function () {
    this.timeout(120_000)
    const emails = Array.from({length: 20}, (_, index) => `user${index}@example.com`)
    const started = performance.now()
    const results = await Promise.all(emails.map((email) => runFixture(path.join(FIXTURES, 'add-context.ts'), [configDir, email])))
    const wall = performance.now() - started
    for (const result of results) expect(result.code, result.stderr).to.equal(0)
    const text = await readFile(store.path, 'utf8')
    const file = parseHostsFile(text, store.path)
    expect(Object.keys(file.hosts['dify.example.com'].accounts).sort()).to.deep.equal([...emails].sort())
    expect((await readdir(configDir)).sort()).to.deep.equal(['hosts.yml'])
    const stats = results.map((result) => JSON.parse(result.stdout) as {waitMs: number; heldMs: number})
    const waits = stats.map((stat_) => stat_.waitMs).sort((a, b) => a - b)
    const held = stats.map((stat_) => stat_.heldMs).sort((a, b) => a - b)
    console.log(`      20 processes: wall ${Math.round(wall)} ms; lock wait median ${Math.round(waits[10])} ms, max ${Math.round(waits[19])} ms; held (read+write+fsync) median ${Math.round(held[10])} ms, max ${Math.round(held[19])} ms`)
  })

  it('given a writer SIGKILLed just before its rename, the previous file stays intact and the next write works', async function () {
    this.timeout(60_000)
    await store.update((file) => upsertContext(file, 'before.example.com', 'https://before.example.com', account('a@b.c')))
    const previous = await readFile(store.path, 'utf8')

    const child = startFixture(path.join(FIXTURES, 'pause-before-rename.ts'), [configDir])
    const done = finished(child)
    const ready = await waitForLine(child, /^ready /)
    const tempPath = ready.slice('ready '.length)
    expect(await readFile(tempPath, 'utf8')).to.include('half-written.example.com')
    child.kill('SIGKILL')
    expect((await done).signal).to.equal('SIGKILL')

    expect(await readFile(store.path, 'utf8')).to.equal(previous)
    expect(parseHostsFile(previous, store.path).currentHost).to.equal('before.example.com')
    const leftovers = await readdir(configDir)
    expect(leftovers).to.include(path.basename(tempPath)).and.include('hosts.yml.lock')

    // The dead writer's lock and temp file must not get in the way of the next write.
    const started = performance.now()
    await store.update((file) => upsertContext(file, 'after.example.com', 'https://after.example.com', account('a@b.c')))
    expect(performance.now() - started).to.be.below(2000)
    const after = await store.read()
    expect(Object.keys(after.hosts).sort()).to.deep.equal(['after.example.com', 'before.example.com'])
    expect(await readdir(configDir)).to.deep.equal(['hosts.yml'])
  })
})
