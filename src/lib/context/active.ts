import type {HostsAccess} from '../config/hosts.js'
import {toDifyError} from '../errors/normalize.js'
import type {Env} from '../io/system.js'
import {type ContextResolution, resolveFromFile} from './resolve.js'

/** Reads hosts.yml and resolves the active context; failures come back as data. */
export async function resolveActiveContext(options: {hosts: HostsAccess; env: Env}): Promise<ContextResolution> {
  try {
    const file = await options.hosts.read()
    return resolveFromFile(file, options.env)
  } catch (error) {
    return {error: toDifyError(error), kind: 'failed'}
  }
}

/**
 * The prerun hook's answer, kept per invocation and keyed by the argv array that oclif hands both to
 * the prerun hook and to the command's constructor (a new array for every invocation). oclif's Config
 * cannot be the key: `Command.run` reloads a copy of it (`Config.load(config)`), so the hook and the
 * command never hold the same Config object, and the command would read and parse hosts.yml a second
 * time. A command run without the hook (a test calling `Command.run` directly) resolves by itself.
 */
const resolutions = new WeakMap<readonly string[], Promise<ContextResolution>>()

export function rememberResolution(argv: readonly string[], resolution: Promise<ContextResolution>): void {
  resolutions.set(argv, resolution)
}

export function recalledResolution(argv: readonly string[]): Promise<ContextResolution> | undefined {
  return resolutions.get(argv)
}
