import {expect} from 'chai'
import {execFileSync} from 'node:child_process'
import {existsSync, readdirSync, readFileSync, realpathSync} from 'node:fs'
import path from 'node:path'

import type {Artifacts} from '../../scripts/pack/build.js'
import {artifactPath, beforePacked, packagedEnv, packDir, pathWithoutNode, runProgram, show, tempDir} from './support.js'

const DEB_TARGETS = [
  {arch: 'amd64', keyring: 'linux-x64-gnu', target: 'linux-x64'},
  {arch: 'arm64', keyring: 'linux-arm64-gnu', target: 'linux-arm64'},
]

/** The Debian packages: built by `oclif pack deb`, finished like the tarballs, and runnable once extracted. */
describe('packaging: the Debian packages', function () {
  let artifacts: Artifacts

  before(async function () {
    artifacts = await beforePacked(this)
  })

  function debFor(arch: string): string {
    const entry = artifacts.debs.find((d) => d.arch === arch)
    if (!entry) throw new Error(`no ${arch} .deb in the build`)
    return artifactPath(entry.file, entry.sha256)
  }

  for (const {arch, keyring} of DEB_TARGETS) {
    it(`${arch}: control fields are complete, and the package carries only the ${keyring} binding`, function () {
      const deb = debFor(arch)
      const field = (name: string) => execFileSync('dpkg-deb', ['-f', deb, name], {encoding: 'utf8'}).trim()
      expect(field('Package')).to.equal('difyctl')
      expect(field('Architecture')).to.equal(arch)
      expect(field('Version')).to.match(new RegExp(`^${artifacts.version.replaceAll('.', '\\.')}\\.${artifacts.sha}-1$`))
      expect(field('Maintainer')).to.match(/<[^>]+@[^>]+>/)
      const control = execFileSync('dpkg-deb', ['-I', deb, 'control'], {encoding: 'utf8'})
      expect(control).not.to.include('undefined')

      const listing = execFileSync('dpkg-deb', ['-c', deb], {encoding: 'utf8', maxBuffer: 64 * 1024 * 1024})
      const bindings = [...new Set([...listing.matchAll(/usr\/lib\/difyctl\/node_modules\/@napi-rs\/(keyring-[\w-]+)\//g)].map((m) => m[1]))]
      expect(bindings).to.deep.equal([`keyring-${keyring}`])
      expect(listing).to.match(/usr\/bin\/difyctl -> \.\.\/lib\/difyctl\/bin\/difyctl/)
      expect(listing).not.to.include('node_modules/yarn/')
    })
  }

  it('has an apt index listing both architectures', function () {
    const packages = readFileSync(path.join(packDir(), 'deb', 'Packages'), 'utf8')
    expect([...packages.matchAll(/^Architecture: (\S+)$/gm)].map((m) => m[1]).sort()).to.deep.equal(['amd64', 'arm64'])
    expect(existsSync(path.join(packDir(), 'deb', 'Release'))).to.equal(true)
  })

  it('amd64: extracted with dpkg-deb -x, /usr/bin/difyctl runs on its bundled Node, without Node on PATH', async function () {
    this.timeout(120_000)
    const {cleanup, dir} = tempDir('deb')
    try {
      const root = path.join(dir, 'root')
      execFileSync('dpkg-deb', ['-x', debFor('amd64'), root])
      expect(readdirSync(root).sort()).to.deep.equal(['usr'])
      const bin = path.join(root, 'usr', 'bin', 'difyctl')
      expect(realpathSync(bin)).to.equal(path.join(root, 'usr', 'lib', 'difyctl', 'bin', 'difyctl'))
      const env = packagedEnv({HOME: dir, PATH: pathWithoutNode()})

      const version = await runProgram(bin, ['--version'], {env})
      expect(version.code, show(version)).to.equal(0)
      expect(version.stdout.trim()).to.equal(`difyctl/${artifacts.version} linux-x64 node-v${artifacts.node}`)

      const whoami = await runProgram(bin, ['auth', 'whoami'], {env})
      expect(whoami.code, show(whoami)).to.equal(4)
      expect(whoami.stderr).to.include('not_logged_in')
    } finally {
      cleanup()
    }
  })
})
