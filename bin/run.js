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

  // @oclif/core checks the Node version on import, loading all of semver (47 modules, ~10 ms) for
  // a check the lines above already made. Skipped for that one import; a value the user set stays.
  const engineWarning = process.env.OCLIF_DISABLE_ENGINE_WARNING
  process.env.OCLIF_DISABLE_ENGINE_WARNING ??= '1'
  const [{Config, execute}, {preparePluginHost}] = await Promise.all([
    import('@oclif/core'),
    import('../build/src/lib/plugins/host.js'),
  ])
  if (engineWarning === undefined) delete process.env.OCLIF_DISABLE_ENGINE_WARNING
  // A reader that goes away (`difyctl … | head`) is not an error: stop quietly, as Unix tools do,
  // instead of dying on EPIPE with a warning about an unsettled await.
  const quietOnClosedPipe = (error) => {
    if (error?.code !== 'EPIPE') throw error
    process.exit(process.exitCode ?? 0)
  }
  process.stdout.on('error', quietOnClosedPipe)
  process.stderr.on('error', quietOnClosedPipe)
  // Before oclif loads any plugin: `import 'difyctl'` in a plugin gets this CLI's own SDK, and a
  // plugin's failing init/prerun hook cannot stop core commands (src/lib/plugins/host.ts).
  preparePluginHost(new URL('..', import.meta.url), Config)
  await execute({dir: import.meta.url})
}
