import {expect} from 'chai'
import {readdir, readFile, stat, writeFile} from 'node:fs/promises'
import path from 'node:path'

import {removeStaleTemps, writeFileAtomic} from '../../../src/lib/config/atomic-write.js'
import {DifyError} from '../../../src/lib/errors/dify-error.js'
import {tempDir} from './fixtures/process.js'

describe('writeFileAtomic', () => {
  let dir: string
  let cleanup: () => Promise<void>
  beforeEach(async () => ({cleanup, dir} = await tempDir()))
  afterEach(() => cleanup())

  it('writes the content with mode 0600 and leaves no temp file', async () => {
    const target = path.join(dir, 'hosts.yml')
    await writeFileAtomic(target, 'one\n')
    expect(await readFile(target, 'utf8')).to.equal('one\n')
    expect((await stat(target)).mode & 0o777).to.equal(0o600)
    expect(await readdir(dir)).to.deep.equal(['hosts.yml'])
  })

  it('replaces an existing looser file with a 0600 one', async () => {
    const target = path.join(dir, 'hosts.yml')
    await writeFile(target, 'old', {mode: 0o644})
    await writeFileAtomic(target, 'new')
    expect(await readFile(target, 'utf8')).to.equal('new')
    expect((await stat(target)).mode & 0o777).to.equal(0o600)
  })

  it('given beforeRename fails, keeps the old target and removes the temp file', async () => {
    const target = path.join(dir, 'hosts.yml')
    await writeFile(target, 'old')
    let seenTemp = ''
    const error = await writeFileAtomic(target, 'new', {
      async beforeRename(temp) {
        seenTemp = temp
        expect(await readFile(temp, 'utf8')).to.equal('new')
        expect(path.dirname(temp)).to.equal(dir)
        throw new Error('disk on fire')
      },
    }).then(() => undefined, (caught: unknown) => caught)
    expect(error).to.be.instanceOf(DifyError)
    expect((error as DifyError).code).to.equal('io_error')
    expect(seenTemp).to.not.equal('')
    expect(await readFile(target, 'utf8')).to.equal('old')
    expect(await readdir(dir)).to.deep.equal(['hosts.yml'])
  })

  it('removeStaleTemps clears only leftovers of the given target', async () => {
    const target = path.join(dir, 'hosts.yml')
    await writeFile(path.join(dir, '.hosts.yml.123.abc.tmp'), 'x')
    await writeFile(path.join(dir, '.other.yml.123.abc.tmp'), 'x')
    await writeFile(target, 'keep')
    expect(await removeStaleTemps(target)).to.equal(1)
    expect((await readdir(dir)).sort()).to.deep.equal(['.other.yml.123.abc.tmp', 'hosts.yml'])
  })
})
