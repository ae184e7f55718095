/**
 * Builds the release artefacts offline: five standalone tarballs (`oclif pack tarballs`) and the
 * Debian packages (`oclif pack deb`), each bundling Node from the npm registry and its own target's
 * keyring binding, trimmed. Writes them and `artifacts.json` (names, sha256, sizes, timings) to the
 * output directory; `formula.ts` and the packaging tests read that file.
 *
 *   tsx scripts/pack/build.ts [--out DIR] [--targets linux-x64,…] [--no-tarballs] [--no-deb] [--keep]
 *
 * Everything happens in a private staging directory (tmp/pack-<random>): a fresh compile of src/ and
 * a fresh oclif manifest go into their own package there, and oclif runs with that directory as its
 * root. So packing never touches build/, oclif.manifest.json or tmp/<target> in the checkout, which
 * other people's test runs use, and two packs can run at the same time. Only the Node and keyring
 * downloads are shared (tmp/cache, written atomically).
 *
 * Sizes, measured on the 2-core build machine with Node 26.10.0 bundled (gzip; MiB):
 *                  oclif's tarball   shipped (trimmed, own binding)
 *   linux-x64          55.0              51.6
 *   linux-arm64        54.7              51.3
 *   darwin-x64         52.0              47.6
 *   darwin-arm64       50.6              46.1
 *   win32-x64          45.4              41.4
 * Trimming takes node_modules from 42 MB to 24 MB unpacked; the bundled Node binary (≈ 143 MB
 * unpacked, ≈ 45 MiB compressed) is most of every tarball. A whole run (compile, five tarballs, two
 * .debs) takes ≈ 2 min here; the .debs are gzip-compressed because xz took 3 min for the two.
 */
import {execFileSync, spawn} from 'node:child_process'
import {createHash} from 'node:crypto'
import {chmodSync, copyFileSync, createReadStream, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync} from 'node:fs'
import path from 'node:path'

import {finishTree} from './finish.js'
import {fillNodeCache} from './node-cache.js'
import {bundledNodeVersion, DIST, gitShortSha, isMain, mib, readPackageJson, ROOT, type Target, TARGETS, TMP, targetByName} from './targets.js'

export interface TarballArtifact {
  target: string
  file: string
  sha256: string
  bytes: number
  /** Size of the tarball as `oclif pack tarballs` wrote it, before trimming and the binding swap. */
  oclifBytes: number
}

export interface DebArtifact {
  target: string
  arch: string
  file: string
  sha256: string
  bytes: number
}

export interface Artifacts {
  version: string
  sha: string
  node: string
  tarballs: TarballArtifact[]
  debs: DebArtifact[]
  timings: Record<string, number>
}

export const ARTIFACTS_FILE = 'artifacts.json'

interface Options {
  out: string
  targets: readonly Target[]
  tarballs: boolean
  deb: boolean
  keep: boolean
}

const OCLIF = path.join(ROOT, 'node_modules', '.bin', 'oclif')

function log(line: string): void {
  console.log(`pack: ${line}`)
}

function sha256(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256')
    createReadStream(file).on('error', reject).on('data', (chunk) => hash.update(chunk)).on('end', () => resolve(hash.digest('hex')))
  })
}

/**
 * The project's tools first on PATH: oclif and tsc start with `#!/usr/bin/env node`, and must run on
 * the project's Node (≥ 22, node_modules/.bin/node), not on an older system one.
 */
const TOOLS_ENV: NodeJS.ProcessEnv = {...process.env, PATH: [path.join(ROOT, 'node_modules', '.bin'), process.env.PATH].join(path.delimiter)}

/** Runs a command with inherited output; rejects on a non-zero exit. */
function run(command: string, args: readonly string[], options: {cwd?: string, env?: NodeJS.ProcessEnv} = {}): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {cwd: options.cwd ?? ROOT, env: options.env ?? TOOLS_ENV, stdio: ['ignore', 'inherit', 'inherit']})
    child.once('error', reject)
    child.once('close', (code) => (code === 0 ? resolve() : reject(new Error(`${command} ${args.join(' ')} exited with ${code}`))))
  })
}

/** At most `limit` jobs at a time: gzip and xz are single-threaded, and the machine has two cores. */
async function pool<T, R>(items: readonly T[], limit: number, job: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = []
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++
      results[index] = await job(items[index])
    }
  }

  await Promise.all(Array.from({length: Math.min(limit, items.length)}, worker))
  return results
}

async function timed<T>(timings: Record<string, number>, name: string, work: () => Promise<T> | T): Promise<T> {
  const start = Date.now()
  try {
    return await work()
  } finally {
    timings[name] = Math.round((Date.now() - start) / 100) / 10
    log(`${name}: ${timings[name]} s`)
  }
}

/**
 * The npm package oclif starts from: a fresh compile of src/ and its own manifest, packed without
 * running `prepack` (whose `npm run build` would delete the checkout's build/).
 */
async function stagePackage(work: string): Promise<string> {
  const pkg = path.join(work, 'package')
  mkdirSync(path.join(pkg, 'bin'), {recursive: true})
  for (const file of ['package.json', 'README.md', 'LICENSE', 'bin/run.js', 'bin/run.cmd']) {
    if (existsSync(path.join(ROOT, file))) copyFileSync(path.join(ROOT, file), path.join(pkg, file))
  }

  symlinkSync(path.join(ROOT, 'node_modules'), path.join(pkg, 'node_modules'))
  await run(path.join(ROOT, 'node_modules', '.bin', 'tsc'), ['-p', path.join(ROOT, 'tsconfig.json'), '--outDir', path.join(pkg, 'build')])
  await run(OCLIF, ['manifest'], {cwd: pkg})
  const packed = execFileSync('npm', ['pack', '--ignore-scripts', '--silent', '--pack-destination', work], {cwd: pkg, encoding: 'utf8', env: TOOLS_ENV}).trim().split('\n').pop()!
  return path.join(work, packed)
}

/** The directory oclif treats as the CLI root: our package.json and lockfile, shared caches linked in. */
function stageRoot(work: string, targets: readonly Target[]): string {
  const root = path.join(work, 'root')
  mkdirSync(path.join(root, 'tmp'), {recursive: true})
  const pjson = readPackageJson()
  // oclif reads the target list from package.json; narrow it when asked for fewer targets.
  pjson.oclif.update = {...pjson.oclif.update, node: {...pjson.oclif.update?.node, targets: targets.map((t) => t.name)}}
  writeFileSync(path.join(root, 'package.json'), JSON.stringify(pjson, null, 2) + '\n')
  copyFileSync(path.join(ROOT, 'package-lock.json'), path.join(root, 'package-lock.json'))
  symlinkSync(path.join(ROOT, 'node_modules'), path.join(root, 'node_modules'))
  mkdirSync(path.join(TMP, 'cache'), {recursive: true})
  symlinkSync(path.join(TMP, 'cache'), path.join(root, 'tmp', 'cache'))
  return root
}

function commandExists(name: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${name}`], {stdio: 'ignore'})
    return true
  } catch {
    return false
  }
}

/**
 * Stand-ins for tools oclif insists on but that are not needed here:
 * - `sudo`: `oclif pack deb` runs `sudo chown -R root` and `sudo chgrp -R root` on its staging tree.
 *   The .debs are rebuilt with `dpkg-deb --root-owner-group`, which records root ownership without
 *   changing any file, so no privilege is needed (CI runs as root without sudo; a developer should
 *   not be asked for a password). The stand-in accepts those two commands and refuses anything else.
 * - `7z`: oclif probes for it before every win32 target, but only uses it to unpack a Node download,
 *   which the filled cache makes unnecessary. The stand-in answers the probe and refuses real work.
 */
function shimDir(work: string): string {
  const dir = path.join(work, 'shims')
  mkdirSync(dir, {recursive: true})
  writeFileSync(path.join(dir, 'sudo'), [
    '#!/bin/sh',
    '# Ownership is recorded by dpkg-deb --root-owner-group; see scripts/pack/build.ts.',
    'case "$1" in chown|chgrp) exit 0 ;; esac',
    'echo "sudo stand-in: refusing $*" >&2',
    'exit 1',
    '',
  ].join('\n'))
  chmodSync(path.join(dir, 'sudo'), 0o755)

  if (!commandExists('7z')) {
    writeFileSync(path.join(dir, '7z'), '#!/bin/sh\n# Answers oclif\'s presence probe only; the Node cache must already be filled.\n[ "$#" -eq 0 ] && exit 0\necho "7z stand-in: refusing to extract ($*); fill tmp/cache first" >&2\nexit 1\n')
    chmodSync(path.join(dir, '7z'), 0o755)
  }

  return dir
}

/** Re-archives a finished tree the way oclif does (one top-level `<bin>/` dir), owned by root. */
async function tarTree(parent: string, dirName: string, dest: string): Promise<void> {
  await run('sh', ['-c', 'tar -C "$1" --sort=name --owner=0 --group=0 --numeric-owner -cf - "$2" | gzip -n -6 > "$3"', 'tar', parent, dirName, dest])
}

async function buildTarballs(root: string, npmTarball: string, options: Options, env: NodeJS.ProcessEnv, sha: string, timings: Record<string, number>): Promise<TarballArtifact[]> {
  const {bin} = readPackageJson().oclif
  const input = path.join(path.dirname(root), 'tarballs-input.tgz')
  copyFileSync(npmTarball, input) // oclif moves the file it is given
  const targets = options.targets.map((t) => t.name).join(',')
  await timed(timings, 'oclif pack tarballs', () =>
    run(OCLIF, ['pack', 'tarballs', '--root', root, '--tarball', input, '--sha', sha, '--no-xz', '--parallel', '--targets', targets], {env}))
  const version = readPackageJson().version
  return timed(timings, 'finish tarballs', () =>
    pool(options.targets, 2, async (target) => {
      const name = `${bin}-v${version}-${sha}-${target.platform}-${target.arch}.tar.gz`
      const oclifFile = path.join(root, 'dist', name)
      const parent = path.join(root, 'tmp', target.name)
      finishTree(path.join(parent, bin), target, {bin, launcher: true, lockfile: path.join(root, 'package-lock.json')})
      const file = path.join(options.out, name)
      await tarTree(parent, bin, file)
      const artifact = {bytes: statSync(file).size, file: name, oclifBytes: statSync(oclifFile).size, sha256: await sha256(file), target: target.name}
      log(`${name}: ${mib(artifact.oclifBytes)} from oclif → ${mib(artifact.bytes)} shipped`)
      return artifact
    }))
}

/** `Aliases: undefined` and `Maintainer: undefined` come from package.json fields we do not set. */
function fixControl(controlFile: string): void {
  const maintainer = process.env.DIFYCTL_DEB_MAINTAINER ?? 'difyctl maintainers <difyctl@users.noreply.github.com>'
  const lines = readFileSync(controlFile, 'utf8').split('\n').filter((line) => line !== 'Aliases: undefined' && line !== 'Aliases: ')
  writeFileSync(controlFile, lines.map((line) => (line.startsWith('Maintainer:') && /undefined|^Maintainer:\s*$/.test(line) ? `Maintainer: ${maintainer}` : line)).join('\n'))
}

async function buildDebs(root: string, npmTarball: string, options: Options, env: NodeJS.ProcessEnv, sha: string, timings: Record<string, number>): Promise<DebArtifact[]> {
  const linux = options.targets.filter((t) => t.platform === 'linux')
  if (linux.length === 0) return []
  const input = path.join(path.dirname(root), 'deb-input.tgz')
  copyFileSync(npmTarball, input)
  // No compression: oclif's .deb files are rebuilt below from the finished trees, so its own are thrown away.
  await timed(timings, 'oclif pack deb', () => run(OCLIF, ['pack', 'deb', '--root', root, '--tarball', input, '--sha', sha, '-z', 'none'], {env}))
  const {bin, dirname} = readPackageJson().oclif as {bin: string, dirname: string}
  const outDir = path.join(options.out, 'deb')
  mkdirSync(outDir, {recursive: true})
  const aptDir = path.join(root, 'tmp', 'apt')
  const compression = process.env.DIFYCTL_DEB_COMPRESSION ?? 'gzip'
  const debs = await timed(timings, 'finish debs', () =>
    pool(linux, 2, async (target) => {
      const debArch = target.arch === 'x64' ? 'amd64' : 'arm64'
      const tree = readdirSync(aptDir).find((name) => name.endsWith(`_${debArch}.apt`))
      if (!tree) throw new Error(`oclif pack deb left no ${debArch} tree in ${aptDir}`)
      const treeDir = path.join(aptDir, tree)
      finishTree(path.join(treeDir, 'usr', 'lib', dirname), target, {bin, launcher: false, lockfile: path.join(root, 'package-lock.json')})
      fixControl(path.join(treeDir, 'DEBIAN', 'control'))
      const file = tree.replace(/\.apt$/, '.deb')
      await run('dpkg-deb', ['--root-owner-group', `-Z${compression}`, '--build', treeDir, path.join(outDir, file)])
      return {arch: debArch, bytes: statSync(path.join(outDir, file)).size, file: `deb/${file}`, sha256: await sha256(path.join(outDir, file)), target: target.name}
    }))
  // An apt repository index next to the packages, as oclif writes one (flat repo: `deb [trusted=yes] <url>/deb ./`).
  await run('sh', ['-c', 'apt-ftparchive packages . > Packages && gzip -n -c Packages > Packages.gz && apt-ftparchive release . > Release'], {cwd: outDir})
  return debs
}

/**
 * Removes what a previous run left for the kinds of artefact this run builds, and nothing else;
 * returns the previous artifacts.json when it describes the same version and commit, so that
 * `pack:tarballs` and `pack:deb` run one after the other end with one complete list.
 */
function cleanOut(options: Options, bin: string, version: string, sha: string): Artifacts | undefined {
  const {out} = options
  mkdirSync(out, {recursive: true})
  let previous: Artifacts | undefined
  const listFile = path.join(out, ARTIFACTS_FILE)
  if (existsSync(listFile)) {
    const list = JSON.parse(readFileSync(listFile, 'utf8')) as Artifacts
    if (list.version === version && list.sha === sha) previous = list
  }

  if (options.tarballs) {
    for (const name of readdirSync(out)) {
      if (name.startsWith(`${bin}-v`) && name.endsWith('.tar.gz')) rmSync(path.join(out, name))
    }
  }

  if (options.deb) rmSync(path.join(out, 'deb'), {force: true, recursive: true})
  rmSync(listFile, {force: true})
  rmSync(path.join(out, 'SHA256SUMS'), {force: true})
  rmSync(path.join(out, `${bin}.rb`), {force: true})
  return previous
}

export async function build(options: Options): Promise<Artifacts> {
  const timings: Record<string, number> = {}
  const start = Date.now()
  const {bin} = readPackageJson().oclif
  const node = bundledNodeVersion()
  const sha = gitShortSha()
  const version = readPackageJson().version
  const previous = cleanOut(options, bin, version, sha)
  mkdirSync(TMP, {recursive: true})
  const work = mkdtempSync(path.join(TMP, 'pack-'))
  try {
    await timed(timings, 'node cache', () => fillNodeCache(options.targets, node))
    const npmTarball = await timed(timings, 'compile and npm pack', () => stagePackage(work))
    const root = stageRoot(work, options.targets)
    const env = {...TOOLS_ENV, PATH: [shimDir(work), TOOLS_ENV.PATH].join(path.delimiter)}
    const tarballs = options.tarballs ? await buildTarballs(root, npmTarball, options, env, sha, timings) : (previous?.tarballs ?? [])
    const debs = options.deb ? await buildDebs(root, npmTarball, options, env, sha, timings) : (previous?.debs ?? [])
    timings.total = Math.round((Date.now() - start) / 100) / 10
    const artifacts: Artifacts = {debs, node, sha, tarballs, timings: {...previous?.timings, ...timings}, version}
    writeFileSync(path.join(options.out, ARTIFACTS_FILE), JSON.stringify(artifacts, null, 2) + '\n')
    // The usual checksum list to publish next to the files (`sha256sum -c SHA256SUMS` checks a download).
    writeFileSync(path.join(options.out, 'SHA256SUMS'), [...tarballs, ...debs].map((a) => `${a.sha256}  ${a.file}\n`).join(''))
    log(`done in ${timings.total} s; artefacts in ${options.out}`)
    return artifacts
  } finally {
    if (options.keep) log(`staging kept in ${work}`)
    else rmSync(work, {force: true, recursive: true})
  }
}

function parseArgs(argv: readonly string[]): Options {
  const options: Options = {deb: true, keep: false, out: DIST, tarballs: true, targets: TARGETS}
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]
    if (arg === '--out') options.out = path.resolve(argv[++i])
    else if (arg === '--targets') options.targets = argv[++i].split(',').map((name) => targetByName(name))
    else if (arg === '--no-deb') options.deb = false
    else if (arg === '--no-tarballs') options.tarballs = false
    else if (arg === '--keep') options.keep = true
    else throw new Error(`unknown argument ${arg}`)
  }

  return options
}

if (isMain(import.meta.url)) {
  try {
    await build(parseArgs(process.argv.slice(2)))
  } catch (error) {
    console.error(`pack: ${error instanceof Error ? error.message : String(error)}`)
    process.exitCode = 1
  }
}
