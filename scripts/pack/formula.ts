/**
 * Writes the Homebrew formula (difyctl.rb) for the tarballs of one build: the darwin and linux
 * tarballs' download URLs and sha256, read from the build's artifacts.json.
 *
 *   DIFYCTL_RELEASE_BASE_URL=https://example.com/difyctl/v0.1.0 tsx scripts/pack/formula.ts [--dist DIR] [--out FILE]
 *
 * The base URL is where the release's tarballs are uploaded (each URL is `<base>/<tarball name>`).
 * The formula goes to `<dist>/difyctl.rb` unless --out says otherwise.
 */
import {readFileSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

import {ARTIFACTS_FILE, type Artifacts} from './build.js'
import {DIST, isMain, readPackageJson} from './targets.js'

const TEMPLATE = path.join(path.dirname(fileURLToPath(import.meta.url)), 'difyctl.rb.tmpl')
const FORMULA_TARGETS = ['darwin-arm64', 'darwin-x64', 'linux-arm64', 'linux-x64']

/** A Ruby double-quoted string must not end early or interpolate. */
function rubyString(value: string): string {
  return value.replaceAll('\\', '\\\\').replaceAll('"', '\\"').replaceAll('#{', '\\#{')
}

export function renderFormula(artifacts: Artifacts, baseUrl: string, template = readFileSync(TEMPLATE, 'utf8')): string {
  const url = new URL(baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`)
  if (url.protocol !== 'https:' && url.protocol !== 'http:' && url.protocol !== 'file:') throw new Error(`release base URL must be http(s) or file: ${baseUrl}`)
  const pjson = readPackageJson() as ReturnType<typeof readPackageJson> & {description?: string, homepage?: string, license?: string}
  const values: Record<string, string> = {
    DESCRIPTION: pjson.description ?? pjson.name,
    // Homebrew requires a homepage: the package's, else the place the tarballs are published.
    HOMEPAGE: process.env.DIFYCTL_HOMEPAGE ?? pjson.homepage ?? url.href,
    LICENSE: pjson.license ?? 'Apache-2.0',
    NODE_VERSION: artifacts.node,
    VERSION: artifacts.version,
  }
  for (const target of FORMULA_TARGETS) {
    const tarball = artifacts.tarballs.find((t) => t.target === target)
    if (!tarball) throw new Error(`${ARTIFACTS_FILE} has no ${target} tarball; the formula needs all of ${FORMULA_TARGETS.join(', ')}`)
    values[`URL:${target}`] = new URL(encodeURIComponent(tarball.file), url).href
    values[`SHA256:${target}`] = tarball.sha256
  }

  const formula = template.replaceAll(/@([A-Z0-9_]+(?::[a-z0-9-]+)?)@/g, (whole, key: string) => {
    const value = values[key]
    if (value === undefined) throw new Error(`template placeholder ${whole} has no value`)
    return rubyString(value)
  })
  return formula
}

export function writeFormula(options: {dist?: string, out?: string, baseUrl?: string} = {}): string {
  const dist = options.dist ?? DIST
  const baseUrl = options.baseUrl ?? process.env.DIFYCTL_RELEASE_BASE_URL
  if (!baseUrl) throw new Error('set DIFYCTL_RELEASE_BASE_URL (or --base-url) to where the tarballs are published')
  const artifacts = JSON.parse(readFileSync(path.join(dist, ARTIFACTS_FILE), 'utf8')) as Artifacts
  const out = options.out ?? path.join(dist, `${readPackageJson().oclif.bin}.rb`)
  writeFileSync(out, renderFormula(artifacts, baseUrl))
  return out
}

if (isMain(import.meta.url)) {
  const args = process.argv.slice(2)
  const value = (flag: string) => {
    const index = args.indexOf(flag)
    return index === -1 ? undefined : path.resolve(args[index + 1])
  }

  const baseIndex = args.indexOf('--base-url')
  try {
    console.log(writeFormula({baseUrl: baseIndex === -1 ? undefined : args[baseIndex + 1], dist: value('--dist'), out: value('--out')}))
  } catch (error) {
    console.error(`formula: ${error instanceof Error ? error.message : String(error)}`)
    process.exitCode = 1
  }
}
