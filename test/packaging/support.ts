import {expect} from 'chai'
import {execFileSync, spawn} from 'node:child_process'
import {createHash} from 'node:crypto'
import {closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, symlinkSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {type Artifacts, ARTIFACTS_FILE} from '../../scripts/pack/build.js'
import {ROOT} from '../../scripts/pack/targets.js'
import {type CliResult, collectOutput} from '../support/cli.js'

/**
 * Where the packaging tests find the artefacts. With DIFYCTL_PACK_DIR set (scripts/pack/check.sh
 * sets it to the build it just made) they are read from there and never built. Otherwise the first
 * test file to ask builds all of them once per test run, into a fresh temp dir, with the same script
 * a release uses (≈ 2 min here). Either way a missing artefact fails the tests, never skips them.
 */
let packed: Promise<string> | undefined

export function ensurePacked(): Promise<string> {
  packed ??= process.env.DIFYCTL_PACK_DIR ? Promise.resolve(path.resolve(process.env.DIFYCTL_PACK_DIR)) : buildForTests()
  return packed
}

async function buildForTests(): Promise<string> {
  const out = mkdtempSync(path.join(tmpdir(), 'difyctl-pack-'))
  process.once('exit', () => rmSync(out, {force: true, recursive: true}))
  const logFile = path.join(out, 'pack.log')
  const log = openSync(logFile, 'w')
  const code = await new Promise<number | null>((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'scripts', 'pack', 'build.ts'), '--out', out], {
      cwd: ROOT,
      stdio: ['ignore', log, log],
    })
    child.once('error', reject)
    child.once('close', resolve)
  })
  closeSync(log)
  if (code !== 0) throw new Error(`scripts/pack/build.ts failed (exit ${code}):\n${readFileSync(logFile, 'utf8').slice(-4000)}`)
  return out
}

/** The build's artefact list; throws when there is none (run `ensurePacked()` in a before hook first). */
export function packedArtifacts(): Artifacts {
  const dir = packDir()
  const file = path.join(dir, ARTIFACTS_FILE)
  if (!existsSync(file)) {
    throw new Error(`no ${ARTIFACTS_FILE} in ${dir}: build the artefacts first (scripts/pack/check.sh, or npm run pack:tarballs && npm run pack:deb, then DIFYCTL_PACK_DIR=dist)`)
  }

  return JSON.parse(readFileSync(file, 'utf8')) as Artifacts
}

let resolvedDir: string | undefined

/** The artefact directory, once ensurePacked() has settled. */
export function packDir(): string {
  if (!resolvedDir) throw new Error('packaging test ran before ensurePacked() finished')
  return resolvedDir
}

/** For a mocha `before`: waits for the artefacts (building them if needed). */
export async function beforePacked(context: Mocha.Context): Promise<Artifacts> {
  context.timeout(15 * 60_000)
  resolvedDir = await ensurePacked()
  return packedArtifacts()
}

/** An artefact's path, after checking it exists and still has the sha256 the build recorded. */
export function artifactPath(file: string, sha256: string): string {
  const full = path.join(packDir(), file)
  expect(existsSync(full), `${full} is missing`).to.equal(true)
  expect(createHash('sha256').update(readFileSync(full)).digest('hex'), `${file} changed since it was built`).to.equal(sha256)
  return full
}

export function tarballFor(target: string): string {
  const entry = packedArtifacts().tarballs.find((t) => t.target === target)
  if (!entry) throw new Error(`${ARTIFACTS_FILE} in ${packDir()} lists no ${target} tarball`)
  return artifactPath(entry.file, entry.sha256)
}

export function tempDir(prefix: string): {dir: string, cleanup: () => void} {
  const dir = mkdtempSync(path.join(tmpdir(), `difyctl-${prefix}-`))
  return {cleanup: () => rmSync(dir, {force: true, recursive: true}), dir}
}

/** Unpacks a release tarball into `prefix` (which it creates); returns the `difyctl/` dir inside. */
export function unpackTarball(tarball: string, prefix: string): string {
  mkdirSync(prefix, {recursive: true})
  execFileSync('tar', ['-xzf', tarball, '-C', prefix])
  return path.join(prefix, 'difyctl')
}

const NODE_TOOLS = new Set(['corepack', 'node', 'nodejs', 'npm', 'npx'])
let nodelessBin: string | undefined

/**
 * A PATH with every system tool except Node and its package managers (this machine has a system
 * Node in /usr/bin, so leaving /usr/bin out of PATH is the only other way, and that drops bash,
 * which the launcher needs). Built once per test run, under the OS temp dir.
 */
export function pathWithoutNode(): string {
  if (!nodelessBin) {
    const dir = mkdtempSync(path.join(tmpdir(), 'difyctl-nodeless-path-'))
    for (const source of ['/usr/local/bin', '/usr/bin', '/bin']) {
      if (!existsSync(source)) continue
      for (const name of readdirSync(source)) {
        if (NODE_TOOLS.has(name) || existsSync(path.join(dir, name))) continue
        symlinkSync(path.join(source, name), path.join(dir, name))
      }
    }

    nodelessBin = dir
    process.once('exit', () => rmSync(dir, {force: true, recursive: true}))
  }

  return nodelessBin
}

/**
 * An environment for a packaged difyctl: the test runner's own, minus what would make the run
 * depend on it (Node options, npm's per-script config when run under `npm test`, difyctl's
 * variables, proxies), plus the overrides. Undefined removes a variable.
 */
export function packagedEnv(overrides: Record<string, string | undefined>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const [name, value] of Object.entries(process.env)) {
    if (/^(npm_|NODE_|DIFY_|OCLIF_|DIFYCTL_|TSX_|XDG_)/i.test(name) || /^(https?|no)_proxy$/i.test(name) || ['BROWSER', 'DEBUG'].includes(name)) continue
    env[name] = value
  }

  env.NO_COLOR = '1'
  // npm, when plugins install runs it, must not look for a newer npm online.
  env.npm_config_update_notifier = 'false'
  for (const [name, value] of Object.entries(overrides)) {
    if (value === undefined) delete env[name]
    else env[name] = value
  }

  return env
}

/** Runs a program (a packaged launcher, not `node bin/run.js`) and collects its output. */
export function runProgram(file: string, args: readonly string[], options: {env: NodeJS.ProcessEnv, timeoutMs?: number, cwd?: string}): Promise<CliResult> {
  const child = spawn(file, args, {cwd: options.cwd ?? tmpdir(), env: options.env, stdio: ['ignore', 'pipe', 'pipe']})
  return collectOutput(child, `${file} ${args.join(' ')}`, options.timeoutMs ?? 60_000)
}

/** `result` as a readable block for assertion messages. */
export function show(result: CliResult): string {
  return `exit ${result.code}\nstdout: ${result.stdout}\nstderr: ${result.stderr}`
}
