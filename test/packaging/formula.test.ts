import {expect} from 'chai'
import {execFileSync, spawnSync} from 'node:child_process'
import {readFileSync, writeFileSync} from 'node:fs'
import path from 'node:path'

import type {Artifacts} from '../../scripts/pack/build.js'
import {ROOT} from '../../scripts/pack/targets.js'
import {beforePacked, packagedEnv, packDir, pathWithoutNode, tarballFor, tempDir, unpackTarball} from './support.js'

const BASE_URL = 'https://downloads.example.com/difyctl/v0.1.0'

/**
 * Just enough of Homebrew's Formula DSL to evaluate our formula off macOS: which url/sha256 a given
 * OS and CPU select, and the `install` and `test` blocks run for real against an unpacked tarball
 * (Homebrew unpacks into a stage dir and strips the single top-level directory, as done here).
 */
const HARNESS = String.raw`
require 'json'
require 'pathname'
require 'fileutils'

formula_file, os, cpu, stage, prefix, testpath = ARGV

class Pathname
  def install(*sources)
    mkpath
    sources.flatten.each { |source| FileUtils.mv(source, self) }
  end

  def install_symlink(target)
    mkpath
    File.symlink(target, join(File.basename(target)))
  end
end

class Formula
  SPEC = {}
  def self.desc(value) = SPEC[:desc] = value
  def self.homepage(value) = SPEC[:homepage] = value
  def self.version(value) = SPEC[:version] = value
  def self.license(value) = SPEC[:license] = value
  def self.url(value) = SPEC[:url] = value
  def self.sha256(value) = SPEC[:sha256] = value
  def self.on_macos = (yield if $os == 'macos')
  def self.on_linux = (yield if $os == 'linux')
  def self.on_arm = (yield if $cpu == 'arm')
  def self.on_intel = (yield if $cpu == 'intel')
  def self.test(&block) = SPEC[:test] = block

  def libexec = Pathname($prefix).join('libexec')
  def bin = Pathname($prefix).join('bin')
  def version = SPEC[:version]
  def testpath = Pathname($testpath)

  def assert_match(expected, actual)
    ok = expected.is_a?(Regexp) ? expected.match?(actual) : actual.include?(expected)
    raise "expected #{actual.inspect} to match #{expected.inspect}" unless ok
  end

  def shell_output(command, status = 0)
    output = ` + '`#{command}`' + String.raw`
    raise "#{command} exited #{$?.exitstatus}, expected #{status}: #{output}" unless $?.exitstatus == status
    output
  end
end

$os, $cpu, $prefix, $testpath = os, cpu, prefix, testpath
load formula_file
formula = Object.const_get(Formula.subclasses.first.name).new
report = Formula::SPEC.reject { |key, _| key == :test }
if stage && !stage.empty?
  Dir.chdir(stage) { formula.install }
  formula.instance_eval(&Formula::SPEC[:test])
  report[:installed] = true
end
puts JSON.generate(report)
`

describe('packaging: the Homebrew formula', function () {
  let artifacts: Artifacts
  let formula: string
  let cleanup: () => void
  let dir: string

  before(async function () {
    artifacts = await beforePacked(this)
    const temp = tempDir('formula')
    dir = temp.dir
    cleanup = temp.cleanup
    formula = path.join(dir, 'difyctl.rb')
    // The documented command, as a release runs it.
    execFileSync(process.execPath, ['--import', 'tsx', path.join(ROOT, 'scripts', 'pack', 'formula.ts'), '--dist', packDir(), '--out', formula], {
      cwd: ROOT,
      env: {...process.env, DIFYCTL_RELEASE_BASE_URL: BASE_URL},
    })
    writeFileSync(path.join(dir, 'harness.rb'), HARNESS)
  })

  after(() => cleanup?.())

  it('passes ruby -c', function () {
    expect(execFileSync('ruby', ['-c', formula], {encoding: 'utf8'}).trim()).to.equal('Syntax OK')
  })

  it('refuses to run without a release base URL', function () {
    const env = {...process.env}
    delete env.DIFYCTL_RELEASE_BASE_URL
    const result = spawnSync(process.execPath, ['--import', 'tsx', path.join(ROOT, 'scripts', 'pack', 'formula.ts'), '--dist', packDir(), '--out', path.join(dir, 'x.rb')], {cwd: ROOT, encoding: 'utf8', env})
    expect(result.status).to.equal(1)
    expect(result.stderr).to.include('DIFYCTL_RELEASE_BASE_URL')
  })

  const platforms = [
    {cpu: 'arm', os: 'macos', target: 'darwin-arm64'},
    {cpu: 'intel', os: 'macos', target: 'darwin-x64'},
    {cpu: 'arm', os: 'linux', target: 'linux-arm64'},
    {cpu: 'intel', os: 'linux', target: 'linux-x64'},
  ]
  for (const {cpu, os, target} of platforms) {
    it(`on ${os}/${cpu} selects the ${target} tarball's URL and sha256`, function () {
      const out = execFileSync('ruby', [path.join(dir, 'harness.rb'), formula, os, cpu, '', path.join(dir, 'unused'), dir], {encoding: 'utf8'})
      const spec = JSON.parse(out) as Record<string, string>
      const tarball = artifacts.tarballs.find((t) => t.target === target)!
      expect(spec.url).to.equal(`${BASE_URL}/${tarball.file}`)
      expect(spec.sha256).to.equal(tarball.sha256)
      expect(spec.version).to.equal(artifacts.version)
      expect(spec.license).to.equal('Apache-2.0')
    })
  }

  it('installs from the linux-x64 tarball and passes its own test block, without Node on PATH', function () {
    this.timeout(120_000)
    const stage = unpackTarball(tarballFor('linux-x64'), path.join(dir, 'stage'))
    const prefix = path.join(dir, 'Cellar', 'difyctl', artifacts.version)
    const testpath = path.join(dir, 'testpath')
    execFileSync('mkdir', ['-p', testpath])
    const out = execFileSync('ruby', [path.join(dir, 'harness.rb'), formula, 'linux', 'intel', stage, prefix, testpath], {
      encoding: 'utf8',
      env: packagedEnv({HOME: testpath, PATH: pathWithoutNode()}),
    })
    expect(JSON.parse(out).installed).to.equal(true)
    expect(readFileSync(path.join(prefix, 'libexec', 'package.json'), 'utf8')).to.include('"name": "difyctl"')
  })
})
