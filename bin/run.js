#!/usr/bin/env node
// Compile cache: Node ≥ 22.1 caches compiled module code on disk, which takes a large share off
// oclif's start-up. It is a no-op on runtimes that lack it.
import {enableCompileCache} from 'node:module'

try {
  enableCompileCache?.()
} catch {
  // a read-only cache directory must never stop the CLI
}

const [{Config, execute}, {preparePluginHost}] = await Promise.all([
  import('@oclif/core'),
  import('../build/src/lib/plugins/host.js'),
])
// Before oclif loads any plugin: `import 'difyctl'` in a plugin gets this CLI's own SDK, and a
// plugin's failing init/prerun hook cannot stop core commands (src/lib/plugins/host.ts).
preparePluginHost(new URL('..', import.meta.url), Config)
await execute({dir: import.meta.url})
