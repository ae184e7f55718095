/**
 * Fills oclif's Node cache from the npm registry, because `oclif pack` would otherwise download
 * Node from nodejs.org, which this build machine cannot reach.
 *
 * oclif (lib/tarballs/node.js) skips its download and checksum step when the cache entry exists:
 *   unix:  tmp/cache/node-v<version>-<platform>-<arch>/node
 *   win32: tmp/cache/node-v<version>-win32-<arch>.exe/node.exe
 * and copies that file into the bundle as bin/node (bin/node.exe). The npm packages carry the same
 * official binaries as package/bin/node (package/bin/node.exe); npm checks their integrity on
 * download, which stands in for oclif's SHASUMS check.
 *
 * Usage: tsx scripts/pack/node-cache.ts [target…]   (default: every target)
 */
import {execFileSync} from 'node:child_process'
import {chmodSync, existsSync, mkdirSync, mkdtempSync, renameSync, rmSync} from 'node:fs'
import path from 'node:path'

import {bundledNodeVersion, isMain, type Target, TARGETS, TMP, targetByName} from './targets.js'

export function nodeCachePath(target: Target, version: string): string {
  const dir = path.join(TMP, 'cache', `node-v${version}-${target.platform}-${target.arch}${target.platform === 'win32' ? '.exe' : ''}`)
  return path.join(dir, target.platform === 'win32' ? 'node.exe' : 'node')
}

/** Puts one target's Node binary into the cache unless it is already there. Returns its path. */
export function fillNodeCacheFor(target: Target, version: string): string {
  const dest = nodeCachePath(target, version)
  if (existsSync(dest)) return dest
  const work = mkdtempSync(path.join(TMP, 'node-download-'))
  try {
    const spec = `${target.nodePackage}@${version}`
    console.log(`node cache: npm pack ${spec}`)
    const file = execFileSync('npm', ['pack', spec, '--silent'], {cwd: work, encoding: 'utf8'}).trim().split('\n').pop()!
    const member = `package/bin/${path.basename(dest)}`
    // Extract only the binary: some of these packages also ship headers and docs.
    execFileSync('tar', ['-xzf', file, member], {cwd: work})
    mkdirSync(path.dirname(dest), {recursive: true})
    chmodSync(path.join(work, member), 0o755)
    // Rename last, so an interrupted run never leaves a half-written binary that oclif would trust.
    renameSync(path.join(work, member), dest)
  } finally {
    rmSync(work, {force: true, recursive: true})
  }

  return dest
}

export function fillNodeCache(targets: readonly Target[] = TARGETS, version = bundledNodeVersion()): void {
  mkdirSync(TMP, {recursive: true})
  for (const target of targets) fillNodeCacheFor(target, version)
}

if (isMain(import.meta.url)) {
  const names = process.argv.slice(2)
  fillNodeCache(names.length > 0 ? names.map((n) => targetByName(n)) : TARGETS)
}
