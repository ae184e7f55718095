import {expect} from 'chai'
import {execFileSync} from 'node:child_process'
import {closeSync, existsSync, openSync, readdirSync, readFileSync, readSync, statSync} from 'node:fs'
import path from 'node:path'

import type {Artifacts} from '../../scripts/pack/build.js'
import {readPackageJson, type Target, TARGETS} from '../../scripts/pack/targets.js'
import {beforePacked, packDir, show, tarballFor, tempDir, unpackTarball} from './support.js'

/** What a binary's header says it runs on, e.g. `linux-x64` (ELF), `darwin-arm64` (Mach-O), `win32-x64` (PE). */
function binaryTarget(file: string): string {
  const header = Buffer.alloc(4096)
  const fd = openSync(file, 'r')
  try {
    readSync(fd, header, 0, header.length, 0)
  } finally {
    closeSync(fd)
  }

  if (header.readUInt32BE(0) === 0x7F_45_4C_46) {
    const machine = header.readUInt16LE(18)
    return `linux-${({0x3E: 'x64', 0xB7: 'arm64'} as Record<number, string>)[machine] ?? `machine-0x${machine.toString(16)}`}`
  }

  if (header.readUInt32LE(0) === 0xFE_ED_FA_CF) {
    const cpu = header.readUInt32LE(4)
    return `darwin-${({0x01_00_00_07: 'x64', 0x01_00_00_0C: 'arm64'} as Record<number, string>)[cpu] ?? `cpu-0x${cpu.toString(16)}`}`
  }

  if (header.toString('latin1', 0, 2) === 'MZ') {
    const pe = header.readUInt32LE(0x3C)
    if (header.toString('latin1', pe, pe + 4) !== 'PE\0\0') return 'unknown-pe'
    const machine = header.readUInt16LE(pe + 4)
    return `win32-${({0x86_64: 'x64', 0xAA_64: 'arm64'} as Record<number, string>)[machine] ?? `machine-0x${machine.toString(16)}`}`
  }

  return 'unknown'
}

/**
 * Runs @napi-rs/keyring's own loader (its index.js) as if on `target`, against the files of an
 * unpacked tree: `require` answers only with what the tree contains. Returns the file the loader
 * ends up loading — proof that the tree's one binding is the one the loader picks on that platform,
 * and that no other target's binding is needed.
 */
function simulateKeyringLoad(tree: string, target: Target): string {
  const scope = path.join(tree, 'node_modules', '@napi-rs')
  const keyringDir = path.join(scope, 'keyring')
  const notFound = (id: string) => Object.assign(new Error(`Cannot find module '${id}'`), {code: 'MODULE_NOT_FOUND'})
  let loaded: string | undefined
  const fakeRequire = (id: string): unknown => {
    if (id === 'fs') return {readFileSync: () => { throw notFound('/usr/bin/ldd') }}
    if (id === 'child_process') return {execSync: () => 'ldd (GNU libc) 2.36'}
    if (id.startsWith('./') && id.endsWith('.node')) {
      const file = path.join(keyringDir, id)
      if (!existsSync(file)) throw notFound(id)
      loaded = file
      return {Entry: class {}}
    }

    const match = /^@napi-rs\/(keyring-[\w-]+)(\/package\.json)?$/.exec(id)
    if (match) {
      const dir = path.join(scope, match[1])
      if (!existsSync(path.join(dir, 'package.json'))) throw notFound(id)
      const pjson = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as {main: string, version: string}
      if (match[2]) return pjson
      const file = path.join(dir, pjson.main)
      if (!existsSync(file)) throw notFound(file)
      loaded = file
      return {Entry: class {}}
    }

    throw notFound(id)
  }

  const fakeProcess = {
    arch: target.arch,
    config: {variables: {}},
    env: {},
    platform: target.platform,
    // glibc, as on the distributions the linux tarballs target (musl systems need their own build).
    report: {getReport: () => ({header: {glibcVersionRuntime: '2.36'}, sharedObjects: []})},
    versions: {node: '26.10.0'},
  }
  const module = {exports: {}}
  const source = readFileSync(path.join(keyringDir, 'index.js'), 'utf8')
  // eslint-disable-next-line no-new-func
  new Function('require', 'process', 'module', 'exports', '__dirname', source)(fakeRequire, fakeProcess, module, module.exports, keyringDir)
  if (!loaded) throw new Error('the keyring loader loaded nothing')
  return loaded
}

describe('packaging: the five standalone tarballs', function () {
  let artifacts: Artifacts

  before(async function () {
    artifacts = await beforePacked(this)
  })

  it('lists one tarball per target, each bundling the one Node version from package.json', function () {
    expect(artifacts.tarballs.map((t) => t.target).sort()).to.deep.equal(TARGETS.map((t) => t.name).sort())
    const pinned = readPackageJson().oclif.update?.node?.version ?? ''
    expect(artifacts.node).to.equal(pinned)
    expect(Number(pinned.split('.')[0])).to.be.at.least(22)
  })

  it('publishes a SHA256SUMS that checks every tarball and .deb', function () {
    this.timeout(60_000)
    const sums = readFileSync(path.join(packDir(), 'SHA256SUMS'), 'utf8')
    expect(sums.trim().split('\n')).to.have.length(artifacts.tarballs.length + artifacts.debs.length)
    execFileSync('sha256sum', ['--check', '--strict', '--quiet', 'SHA256SUMS'], {cwd: packDir()})
  })

  for (const target of TARGETS) {
    describe(target.name, function () {
      let tree: string
      let cleanup: () => void

      before(function () {
        this.timeout(120_000)
        const temp = tempDir(`tarball-${target.name}`)
        cleanup = temp.cleanup
        tree = unpackTarball(tarballFor(target.name), path.join(temp.dir, 'prefix'))
      })

      after(() => cleanup?.())

      it(`bundles a ${target.name} Node binary`, function () {
        const node = path.join(tree, 'bin', target.platform === 'win32' ? 'node.exe' : 'node')
        expect(existsSync(node), node).to.equal(true)
        expect(binaryTarget(node)).to.equal(target.name)
      })

      it(`carries exactly one keyring binding, @napi-rs/keyring-${target.keyring}, built for ${target.name}`, function () {
        const scope = path.join(tree, 'node_modules', '@napi-rs')
        expect(readdirSync(scope).sort()).to.deep.equal(['keyring', `keyring-${target.keyring}`])
        const binding = path.join(scope, `keyring-${target.keyring}`, `keyring.${target.keyring}.node`)
        expect(binaryTarget(binding)).to.equal(target.name)
        // Same version as the loader, or the loader's NAPI_RS_ENFORCE_VERSION_CHECK would refuse it.
        const version = (dir: string) => JSON.parse(readFileSync(path.join(scope, dir, 'package.json'), 'utf8')).version
        expect(version(`keyring-${target.keyring}`)).to.equal(version('keyring'))
      })

      it(`makes @napi-rs/keyring's loader pick keyring.${target.keyring}.node on ${target.name}, needing no other binding`, function () {
        expect(path.basename(simulateKeyringLoad(tree, target))).to.equal(`keyring.${target.keyring}.node`)
      })

      it('is trimmed: no yarn, no type packages, no npm docs, no declaration files, source maps or .bin links', function () {
        const modules = path.join(tree, 'node_modules')
        for (const gone of ['yarn', '@types', 'undici-types', 'npm/docs', 'npm/man']) {
          expect(existsSync(path.join(modules, gone)), gone).to.equal(false)
        }

        const listing = execFileSync('find', [modules, '-type', 'f', '(', '-name', '*.d.ts', '-o', '-name', '*.map', ')'], {encoding: 'utf8'})
        expect(listing).to.equal('')
        expect(execFileSync('find', [tree, '-type', 'l'], {encoding: 'utf8'}), 'symlinks').to.equal('')
        // What `difyctl plugins install` needs stays: npm's CLI and its dependencies.
        expect(existsSync(path.join(modules, 'npm', 'bin', 'npm-cli.js'))).to.equal(true)
        expect(existsSync(path.join(modules, 'npm', 'node_modules', '@npmcli', 'arborist'))).to.equal(true)
        const entry = artifacts.tarballs.find((t) => t.target === target.name)!
        expect(entry.bytes, 'trimmed tarball is smaller than oclif\'s').to.be.lessThan(entry.oclifBytes)
      })

      it('ships launchers for its platform; the unix one survives a missing HOME', function () {
        const bin = path.join(tree, 'bin')
        expect(existsSync(path.join(bin, 'run.js'))).to.equal(true)
        if (target.platform === 'win32') {
          expect(readFileSync(path.join(bin, 'difyctl.cmd'), 'utf8')).to.include('node.exe')
        } else {
          const launcher = readFileSync(path.join(bin, 'difyctl'), 'utf8')
          expect(launcher).not.to.include('CLI_HOME=$(cd && pwd)')
          expect(launcher).to.include('CLI_HOME=$(cd 2>/dev/null && pwd) || CLI_HOME=')
          expect(statSync(path.join(bin, 'difyctl')).mode & 0o111).to.not.equal(0)
        }
      })
    })
  }

  it('loads the linux-x64 binding for real with the bundled Node', function () {
    this.timeout(120_000)
    const {cleanup, dir} = tempDir('binding-load')
    try {
      const tree = unpackTarball(tarballFor('linux-x64'), dir)
      const script = `const k = require(${JSON.stringify(path.join(tree, 'node_modules', '@napi-rs', 'keyring'))}); ` +
        'console.log(JSON.stringify({entry: typeof k.Entry, files: Object.keys(require.cache).filter((f) => f.endsWith(".node")).map((f) => require("path").basename(f))}))'
      const out = execFileSync(path.join(tree, 'bin', 'node'), ['-e', script], {encoding: 'utf8', env: {PATH: '/nonexistent'}})
      expect(JSON.parse(out), show({code: 0, signal: null, stderr: '', stdout: out})).to.deep.equal({entry: 'function', files: ['keyring.linux-x64-gnu.node']})
    } finally {
      cleanup()
    }
  })
})
