/**
 * Turns a bundle tree that oclif assembled (`<bin>/` with bin/, build/, node_modules/) into the one
 * we ship for a target: trimmed, carrying that target's keyring binding, with a launcher that copes
 * with a missing HOME. The same step runs on the tarball trees and on the .deb trees, so both kinds
 * of artefact ship the same bytes.
 */
import {execFileSync} from 'node:child_process'
import {createHash} from 'node:crypto'
import {existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync} from 'node:fs'
import path from 'node:path'

import {type Target, TMP} from './targets.js'

// ---------------------------------------------------------------------------------------------
// Trimming

/**
 * Whole packages nothing in difyctl runs:
 * - yarn: @oclif/plugin-plugins uses it only to `plugins link` a plugin that has a yarn.lock (and
 *   then falls back to a yarn on PATH); installs and npm-locked links use npm, which stays.
 * - @types/*, undici-types: type declarations, pulled in as peers of @inquirer packages.
 */
const DROP_PACKAGES = ['yarn', 'undici-types']
const DROP_SCOPES = ['@types']

/** Directories at a package's top level that only serve its authors (never required at run time). */
const DROP_PACKAGE_DIRS = new Set(['.github', '__tests__', 'doc', 'docs', 'example', 'examples', 'man', 'test', 'tests'])

/** Files that are never read at run time. Licence texts are kept: the licences require them. */
function droppableFile(name: string): boolean {
  const lower = name.toLowerCase()
  if (lower.startsWith('licen') || lower.startsWith('notice') || lower.startsWith('copying')) return false
  return (
    lower.endsWith('.d.ts') || lower.endsWith('.d.mts') || lower.endsWith('.d.cts') || lower.endsWith('.map') ||
    lower.endsWith('.md') || lower.endsWith('.markdown') || lower === 'package-lock.json' || lower === 'yarn.lock'
  )
}

function packageDirs(nodeModules: string): string[] {
  if (!existsSync(nodeModules)) return []
  const dirs: string[] = []
  for (const entry of readdirSync(nodeModules, {withFileTypes: true})) {
    if (entry.name === '.bin' || !entry.isDirectory()) continue
    const full = path.join(nodeModules, entry.name)
    if (entry.name.startsWith('@')) {
      for (const scoped of readdirSync(full, {withFileTypes: true})) {
        if (scoped.isDirectory()) dirs.push(path.join(full, scoped.name))
      }
    } else {
      dirs.push(full)
    }
  }

  return dirs
}

function removeFilesRecursively(dir: string): void {
  for (const entry of readdirSync(dir, {withFileTypes: true})) {
    const full = path.join(dir, entry.name)
    if (entry.isDirectory()) removeFilesRecursively(full)
    else if (entry.isFile() && droppableFile(entry.name)) rmSync(full)
  }
}

/**
 * Drops every node_modules/.bin: nothing difyctl or npm runs goes through them (npm requires its
 * own dependencies; plugin installs get their own .bin in the data dir), and they are the bundle's
 * only symlinks, which Windows' tar cannot always create.
 */
function removeBinDirs(dir: string): void {
  for (const entry of readdirSync(dir, {withFileTypes: true})) {
    if (!entry.isDirectory()) continue
    const full = path.join(dir, entry.name)
    if (entry.name === '.bin' && path.basename(dir) === 'node_modules') rmSync(full, {force: true, recursive: true})
    else removeBinDirs(full)
  }
}

export function trimTree(tree: string): void {
  const nodeModules = path.join(tree, 'node_modules')
  for (const name of DROP_PACKAGES) rmSync(path.join(nodeModules, name), {force: true, recursive: true})
  for (const scope of DROP_SCOPES) rmSync(path.join(nodeModules, scope), {force: true, recursive: true})
  // Nested node_modules (npm's own dependencies) get the same treatment, one level down.
  const packages = packageDirs(nodeModules)
  for (const pkg of [...packages, ...packages.flatMap((p) => packageDirs(path.join(p, 'node_modules')))]) {
    for (const dir of DROP_PACKAGE_DIRS) rmSync(path.join(pkg, dir), {force: true, recursive: true})
  }

  removeFilesRecursively(nodeModules)
  removeBinDirs(nodeModules)
  // oclif copied our lockfile in to run `npm install`; the installed tree does not read it.
  rmSync(path.join(tree, 'package-lock.json'), {force: true})
}

// ---------------------------------------------------------------------------------------------
// Keyring binding

const KEYRING_CACHE = path.join(TMP, 'cache', 'keyring')

/** sha512 integrity npm recorded for a package in our lockfile, to pin what we fetch to what we locked. */
function lockedIntegrity(lockfile: string, name: string): {version: string, integrity: string} {
  const lock = JSON.parse(readFileSync(lockfile, 'utf8')) as {packages: Record<string, {version?: string, integrity?: string}>}
  const entry = lock.packages[`node_modules/${name}`]
  if (!entry?.version || !entry.integrity) throw new Error(`${name} is not in ${lockfile}: run npm install so the lockfile lists every keyring binding`)
  return {integrity: entry.integrity, version: entry.version}
}

function integrityOf(file: string): string {
  return `sha512-${createHash('sha512').update(readFileSync(file)).digest('base64')}`
}

/** The binding's npm tarball, fetched once into tmp/cache/keyring and checked against the lockfile. */
export function keyringTarball(target: Target, lockfile: string): string {
  const name = `@napi-rs/keyring-${target.keyring}`
  const {integrity, version} = lockedIntegrity(lockfile, name)
  const file = path.join(KEYRING_CACHE, `napi-rs-keyring-${target.keyring}-${version}.tgz`)
  if (!existsSync(file)) {
    mkdirSync(KEYRING_CACHE, {recursive: true})
    const work = path.join(KEYRING_CACHE, `.download-${process.pid}`)
    mkdirSync(work, {recursive: true})
    try {
      const packed = execFileSync('npm', ['pack', `${name}@${version}`, '--silent'], {cwd: work, encoding: 'utf8'}).trim().split('\n').pop()!
      renameSync(path.join(work, packed), file)
    } finally {
      rmSync(work, {force: true, recursive: true})
    }
  }

  const actual = integrityOf(file)
  if (actual !== integrity) {
    rmSync(file, {force: true})
    throw new Error(`${name}@${version}: downloaded tarball does not match the lockfile integrity`)
  }

  return file
}

/**
 * Leaves exactly one keyring binding in the tree: the target's. `npm install` on the build host put
 * in the host's binding (and only that), which is wrong for every other target.
 */
export function setKeyringBinding(tree: string, target: Target, lockfile: string): void {
  const scope = path.join(tree, 'node_modules', '@napi-rs')
  if (!existsSync(path.join(scope, 'keyring', 'package.json'))) throw new Error(`${tree} has no @napi-rs/keyring`)
  for (const entry of readdirSync(scope)) {
    if (entry.startsWith('keyring-')) rmSync(path.join(scope, entry), {force: true, recursive: true})
  }

  const dest = path.join(scope, `keyring-${target.keyring}`)
  mkdirSync(dest, {recursive: true})
  // npm tarballs keep everything under package/; strip it so the files land in the package dir.
  execFileSync('tar', ['-xzf', keyringTarball(target, lockfile), '-C', dest, '--strip-components=1'])
  const binary = path.join(dest, `keyring.${target.keyring}.node`)
  if (!existsSync(binary)) throw new Error(`${dest} lacks ${path.basename(binary)}`)
}

// ---------------------------------------------------------------------------------------------
// Launcher

/**
 * oclif's generated bin/<bin> starts with `set -e` and computes `CLI_HOME=$(cd && pwd)`: when HOME
 * does not exist (service accounts, fresh containers) `cd` fails and the launcher dies before Node
 * starts, with only "cd: …: No such file or directory". Fall back to the HOME string itself; the
 * launcher only uses it to look for an auto-updated client under it, which then is not found.
 */
const HOME_LINE = 'CLI_HOME=$(cd && pwd)'
const HOME_FIX = 'CLI_HOME=$(cd 2>/dev/null && pwd) || CLI_HOME="${HOME:-}"'

export function patchLauncher(tree: string, bin: string): void {
  const launcher = path.join(tree, 'bin', bin)
  const text = readFileSync(launcher, 'utf8')
  if (text.includes(HOME_FIX)) return
  // Fail loudly if oclif changed its template: silently shipping the old bug is worse.
  if (!text.includes(HOME_LINE)) throw new Error(`${launcher}: oclif's launcher changed; re-check the missing-HOME fix`)
  writeFileSync(launcher, text.replace(HOME_LINE, HOME_FIX), {mode: statSync(launcher).mode})
}

export function finishTree(tree: string, target: Target, options: {bin: string, lockfile: string, launcher: boolean}): void {
  trimTree(tree)
  setKeyringBinding(tree, target, options.lockfile)
  if (options.launcher) patchLauncher(tree, options.bin)
}
