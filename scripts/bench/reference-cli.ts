import {execFileSync} from 'node:child_process'
import {mkdirSync, symlinkSync, writeFileSync} from 'node:fs'
import path from 'node:path'

/**
 * A reference for the start-up figures: the emptiest oclif CLI that is set up like difyctl (the same
 * two core plugins, a manifest, the same bin script minus the plugin host) with one command that does
 * nothing. What it costs above the framework floor is oclif's own per-invocation work (loading the
 * config and plugins, finding and running a command), which no CLI on oclif escapes; difyctl's own
 * cost is what `auth whoami` costs above it.
 */
export function createReferenceCli(dir: string, root: string, node: string): string {
  mkdirSync(path.join(dir, 'bin'), {recursive: true})
  mkdirSync(path.join(dir, 'commands'), {recursive: true})
  symlinkSync(path.join(root, 'node_modules'), path.join(dir, 'node_modules'), 'dir')
  const pjson = {
    dependencies: {'@oclif/core': '*', '@oclif/plugin-help': '*', '@oclif/plugin-plugins': '*'},
    files: ['bin', 'commands', 'oclif.manifest.json'],
    name: 'reference-cli',
    oclif: {bin: 'reference', commands: './commands', dirname: 'reference-cli', plugins: ['@oclif/plugin-help', '@oclif/plugin-plugins'], topicSeparator: ' '},
    type: 'module',
    version: '1.0.0',
  }
  writeFileSync(path.join(dir, 'package.json'), JSON.stringify(pjson, null, 2))
  writeFileSync(
    path.join(dir, 'commands', 'noop.js'),
    "import {Command} from '@oclif/core'\n\nexport default class Noop extends Command {\n  static summary = 'Does nothing'\n  async run() {}\n}\n",
  )
  const bin = `#!/usr/bin/env node
import * as nodeModule from 'node:module'

try {
  nodeModule.enableCompileCache?.()
} catch {}

const engineWarning = process.env.OCLIF_DISABLE_ENGINE_WARNING
process.env.OCLIF_DISABLE_ENGINE_WARNING ??= '1'
const {execute} = await import('@oclif/core')
if (engineWarning === undefined) delete process.env.OCLIF_DISABLE_ENGINE_WARNING
await execute({dir: import.meta.url})
`
  writeFileSync(path.join(dir, 'bin', 'run.js'), bin)
  execFileSync(node, [path.join(root, 'node_modules', 'oclif', 'bin', 'run.js'), 'manifest'], {cwd: dir, stdio: 'ignore'})
  return path.join(dir, 'bin', 'run.js')
}
