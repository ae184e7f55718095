#!/usr/bin/env node
import * as nodeModule from 'node:module'

const [major] = process.versions.node.split('.').map(Number)
if (major < 22) {
  process.stderr.write(`difyctl needs Node.js 22 or later; this is ${process.version}.\nhint: install a current Node.js LTS, or use a standalone difyctl tarball (it bundles its own)\n`)
  process.exitCode = 1
} else {
  // Node's on-disk compile cache takes a large share off oclif's start-up. Best effort: a read-only
  // cache directory must never stop the CLI.
  try {
    nodeModule.enableCompileCache?.()
  } catch {}

  const {execute} = await import('@oclif/core')
  await execute({dir: import.meta.url})
}
