import type {Config} from '@oclif/core'
import * as nodeModule from 'node:module'
import path from 'node:path'
import {fileURLToPath, pathToFileURL} from 'node:url'

/**
 * What the CLI does once at start-up so that third-party plugins run safely on top of it. Called
 * from bin/run.js before oclif loads anything.
 */
export function preparePluginHost(cliRoot: string | URL, config: typeof Config): void {
  shareSdkWithPlugins(cliRoot)
  containPluginHooks(config)
}

/**
 * Plugins get the SDK with `import … from 'difyctl'`, but a plugin installed with `difyctl plugins
 * install` lives in difyctl's data dir, and a linked one in its author's checkout: neither can
 * find the running CLI's package on its own, and a copy fetched from a registry would be a second
 * SDK instance (its own DifyError class, its own per-invocation context cache). So the CLI answers
 * that one specifier itself: `difyctl` and `difyctl/*` resolve as a self-reference from the CLI's
 * own package.json, i.e. through its `exports`, to the very modules the core commands use.
 *
 * Plugins therefore list difyctl as an optional peer dependency (npm never installs it) and need
 * nothing else. Needs `module.registerHooks` (Node ≥ 22.15 / 23.5); on older runtimes this returns
 * false and a plugin must resolve `difyctl` itself (e.g. from its own node_modules).
 */
export function shareSdkWithPlugins(cliRoot: string | URL): boolean {
  const {registerHooks} = nodeModule as {registerHooks?: typeof nodeModule.registerHooks}
  if (typeof registerHooks !== 'function') return false
  const root = typeof cliRoot === 'string' ? cliRoot : fileURLToPath(cliRoot)
  const parentURL = pathToFileURL(path.join(root, 'package.json')).href
  registerHooks({
    resolve(specifier, context, nextResolve) {
      if (specifier === 'difyctl' || specifier.startsWith('difyctl/')) return nextResolve(specifier, {...context, parentURL})
      return nextResolve(specifier, context)
    },
  })
  return true
}

/**
 * Hooks that run around every command, whichever plugin registered them. oclif already records a
 * hook's plain thrown error as a failure and goes on, but rethrows an error that carries an exit
 * code (`this.error()`, `this.exit(2)`, any CLIError): one plugin's hook could then stop every core
 * command (exit 2, rendered by oclif, not by difyctl). For these events every failure is recorded
 * instead (visible with DEBUG=*). Our own hooks never throw (see src/hooks/prerun.ts), so nothing
 * of ours is hidden. Hooks of other events keep oclif's behaviour on purpose: a
 * `plugins:preinstall` hook that refuses an untrusted plugin must still be able to stop the install.
 */
const CONTAINED_EVENTS = new Set(['finally', 'init', 'postrun', 'prerun'])
const CONTAINED = Symbol.for('difyctl.containPluginHooks')

type RunHook = (this: Config, event: string, opts: object, timeout?: number, captureErrors?: boolean) => Promise<unknown>

export function containPluginHooks(config: typeof Config): void {
  const proto = config.prototype as unknown as {runHook: RunHook, [CONTAINED]?: true}
  if (proto[CONTAINED]) return
  const original = proto.runHook
  proto.runHook = function (event, opts, timeout, captureErrors) {
    return original.call(this, event, opts, timeout, captureErrors || CONTAINED_EVENTS.has(event))
  }

  proto[CONTAINED] = true
}
