import {expect} from 'chai'
import {randomBytes} from 'node:crypto'
import {mkdir, readdir, readFile, stat, unlink, writeFile} from 'node:fs/promises'
import path from 'node:path'

import {SealedFileStore} from '../../../src/lib/credentials/sealed-file.js'
import {systemClock} from '../../../src/lib/io/system.js'
import {runFixture, tempDir} from '../config/fixtures/process.js'
import {failure} from '../../support/failure.js'

const SAMPLES = [
  {account: 'ada@example.com', host: 'dify.example.com', token: 'dfy_ada_4f9c2e11d7a04b6e9a1c'},
  {account: 'grace@example.com', host: 'dify.example.com', token: 'dfy_grace_0b7d5e93c1f24a88b2e6'},
  {account: 'ada@example.com', host: 'selfhosted.internal:8443', token: 'dfy_ada_selfhosted_91e0c3a7'},
  {account: 'linus@corp.example', host: 'dify.corp.example', token: 'dfy_linus_7aa1d0e2b3c4'},
]

async function allFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, {recursive: true, withFileTypes: true})
  return entries.filter((entry) => entry.isFile()).map((entry) => path.join(entry.parentPath, entry.name))
}


describe('SealedFileStore', () => {
  let base: string
  let configDir: string
  let dataDir: string
  let cleanup: () => Promise<void>
  let store: SealedFileStore
  beforeEach(async () => {
    ;({cleanup, dir: base} = await tempDir())
    configDir = path.join(base, 'config', 'difyctl')
    dataDir = path.join(base, 'data', 'difyctl')
    store = new SealedFileStore({clock: systemClock, configDir, dataDir})
  })
  afterEach(() => cleanup())

  async function fillSamples(): Promise<void> {
    for (const sample of SAMPLES) await store.set(sample, sample.token)
  }

  it('given nothing stored yet, answers null and false and creates nothing', async () => {
    expect(await store.get(SAMPLES[0])).to.equal(null)
    expect(await store.delete(SAMPLES[0])).to.equal(false)
    expect(await allFiles(base)).to.deep.equal([])
  })

  it('round-trips tokens of several hosts and accounts', async () => {
    await fillSamples()
    for (const sample of SAMPLES) expect(await store.get(sample)).to.equal(sample.token)
    expect(await store.get({account: 'nobody@example.com', host: 'dify.example.com'})).to.equal(null)
    // A fresh instance (another process, later) reads the same.
    const again = new SealedFileStore({clock: systemClock, configDir, dataDir})
    for (const sample of SAMPLES) expect(await again.get(sample)).to.equal(sample.token)
  })

  it('replaces a token, deletes one, and answers false for one already gone', async () => {
    await fillSamples()
    await store.set(SAMPLES[0], 'replaced')
    expect(await store.get(SAMPLES[0])).to.equal('replaced')
    expect(await store.delete(SAMPLES[1])).to.equal(true)
    expect(await store.delete(SAMPLES[1])).to.equal(false)
    expect(await store.get(SAMPLES[1])).to.equal(null)
    expect(await store.get(SAMPLES[2])).to.equal(SAMPLES[2].token)
  })

  it('removes the sealed file with the last token and keeps the key for next time', async () => {
    await store.set(SAMPLES[0], SAMPLES[0].token)
    const key = await readFile(store.keyPath)
    expect(await store.delete(SAMPLES[0])).to.equal(true)
    expect(await readdir(configDir)).to.deep.equal([])
    expect(await readFile(store.keyPath)).to.deep.equal(key)
  })

  it('keeps one file in the config dir and one key in the data dir, 0600 in 0700 directories', async () => {
    await fillSamples()
    expect(await readdir(configDir)).to.deep.equal(['credentials.sealed'])
    expect(await readdir(dataDir)).to.deep.equal(['sealed.key'])
    expect((await stat(configDir)).mode & 0o777).to.equal(0o700)
    expect((await stat(dataDir)).mode & 0o777).to.equal(0o700)
    expect((await stat(store.path)).mode & 0o777).to.equal(0o600)
    expect((await stat(store.keyPath)).mode & 0o777).to.equal(0o600)
    expect((await stat(store.keyPath)).size).to.equal(32)
  })

  it('never writes a token, host or email in the clear anywhere under the config or data dir', async () => {
    await fillSamples()
    await store.delete(SAMPLES[3])
    const secrets = SAMPLES.flatMap((sample) => [sample.token, sample.host, sample.account, sample.account.split('@')[0]])
    const files = await allFiles(base)
    expect(files).to.have.length(2)
    for (const file of files) {
      const bytes = await readFile(file)
      for (const secret of secrets) {
        for (const encoding of ['utf8', 'utf16le', 'base64', 'hex'] as const) {
          const needle = encoding === 'utf8' || encoding === 'utf16le' ? Buffer.from(secret, encoding) : Buffer.from(Buffer.from(secret).toString(encoding))
          expect(bytes.includes(needle), `${secret} (${encoding}) in ${file}`).to.equal(false)
        }
      }
    }
  })

  it('pads, so the size does not tell a few short sign-ins apart', async () => {
    await store.set(SAMPLES[0], SAMPLES[0].token)
    const one = (await stat(store.path)).size
    await store.set(SAMPLES[1], SAMPLES[1].token)
    await store.set(SAMPLES[2], SAMPLES[2].token)
    expect((await stat(store.path)).size).to.equal(one)
  })

  it('uses a fresh IV for every write', async () => {
    await store.set(SAMPLES[0], SAMPLES[0].token)
    const first = await readFile(store.path)
    await store.set(SAMPLES[0], SAMPLES[0].token)
    const second = await readFile(store.path)
    expect(first.subarray(0, 17)).to.deep.equal(second.subarray(0, 17))
    expect(first.subarray(17, 29)).to.not.deep.equal(second.subarray(17, 29))
    expect(first.subarray(29)).to.not.deep.equal(second.subarray(29))
  })

  describe('given a damaged sealed file, fails with credential_corrupt and never returns garbage', () => {
    const regions: Array<{name: string; offset: (length: number) => number; message: RegExp}> = [
      {message: /not a difyctl sealed credential file/, name: 'the magic', offset: () => 0},
      {message: /newer difyctl/, name: 'the version', offset: () => 8},
      {message: /different key/, name: 'the key id', offset: () => 12},
      {message: /integrity check/, name: 'the IV', offset: () => 20},
      {message: /integrity check/, name: 'the ciphertext', offset: (length) => Math.floor(length / 2)},
      {message: /integrity check/, name: 'the tag', offset: (length) => length - 1},
    ]
    for (const region of regions) {
      it(`a flipped byte in ${region.name}`, async () => {
        await fillSamples()
        const bytes = await readFile(store.path)
        bytes[region.offset(bytes.length)] ^= 0x02
        await writeFile(store.path, bytes)
        for (const attempt of [store.get(SAMPLES[0]), store.set(SAMPLES[1], 'new'), store.delete(SAMPLES[2])]) {
          const error = await failure(attempt)
          expect(error.code).to.equal('credential_corrupt')
          expect(error.exitCode).to.equal(1)
          expect(error.message).to.match(region.message)
          expect(error.hint).to.be.a('string').and.not.equal('')
        }

        // Nothing was rewritten over the evidence.
        expect(await readFile(store.path)).to.deep.equal(bytes)
      })
    }

    it('a truncated file', async () => {
      await fillSamples()
      const bytes = await readFile(store.path)
      for (const length of [bytes.length - 1, 40, 20, 3, 0]) {
        await writeFile(store.path, bytes.subarray(0, length))
        const error = await failure(store.get(SAMPLES[0]))
        expect(error.code, `length ${length}`).to.equal('credential_corrupt')
      }
    })
  })

  it('given a different key file, fails with credential_corrupt naming both files', async () => {
    await fillSamples()
    await writeFile(store.keyPath, randomBytes(32))
    const error = await failure(store.get(SAMPLES[0]))
    expect(error.code).to.equal('credential_corrupt')
    expect(error.message).to.include(store.path).and.include(store.keyPath).and.include('different key')
  })

  it('given a damaged key file, fails with credential_corrupt', async () => {
    await fillSamples()
    await writeFile(store.keyPath, randomBytes(31))
    const error = await failure(store.get(SAMPLES[0]))
    expect(error.code).to.equal('credential_corrupt')
    expect(error.message).to.include('damaged')
  })

  it('given the key file is missing while the sealed file exists, says so and does not replace the sealed file', async () => {
    await fillSamples()
    const sealed = await readFile(store.path)
    await unlink(store.keyPath)
    for (const attempt of [store.get(SAMPLES[0]), store.set(SAMPLES[0], 'new'), store.delete(SAMPLES[0])]) {
      const error = await failure(attempt)
      expect(error.code).to.equal('credential_corrupt')
      expect(error.message).to.include(store.keyPath).and.include('missing')
    }

    expect(await readFile(store.path)).to.deep.equal(sealed)
    expect(await readdir(dataDir)).to.deep.equal([])
  })

  it('given stores with different config dirs racing to create the shared key, all end with one key', async () => {
    const stores = Array.from({length: 8}, (_, index) => new SealedFileStore({clock: systemClock, configDir: path.join(base, `config-${index}`), dataDir}))
    await Promise.all(stores.map((each, index) => each.set(SAMPLES[0], `token-${index}`)))
    for (const [index, each] of stores.entries()) expect(await each.get(SAMPLES[0])).to.equal(`token-${index}`)
    expect(await readdir(dataDir)).to.deep.equal(['sealed.key'])
  })

  it('given several processes writing at once, loses nothing', async function () {
    this.timeout(120_000)
    const writers = ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot']
    const results = await Promise.all(
      writers.map((name) => runFixture(path.join(import.meta.dirname, 'fixtures', 'sealed-writer.ts'), [configDir, dataDir, name, '5'])),
    )
    for (const result of results) expect(result.code, result.stderr).to.equal(0)
    for (const name of writers) {
      for (let index = 0; index < 5; index++) {
        expect(await store.get({account: `${name}-${index}@example.com`, host: `${name}.example.com`})).to.equal(`token-${name}-${index}`)
      }
    }

    expect(await readdir(configDir)).to.deep.equal(['credentials.sealed'])
    expect(await readdir(dataDir)).to.deep.equal(['sealed.key'])
  })

  it('given an unreadable sealed path, fails with io_error', async () => {
    await mkdir(store.path, {recursive: true})
    const error = await failure(store.get(SAMPLES[0]))
    expect(error.code).to.equal('io_error')
  })
})
