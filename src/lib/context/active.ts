import type {Interfaces} from '@oclif/core'

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
 * The prerun hook's answer, kept per invocation (keyed by oclif's Config object, which is unique to
 * one run). A command reads it instead of resolving again; a command run without the hook (a test
 * calling `Command.run` directly) resolves by itself.
 */
const resolutions = new WeakMap<Interfaces.Config, Promise<ContextResolution>>()

export function rememberResolution(config: Interfaces.Config, resolution: Promise<ContextResolution>): void {
  resolutions.set(config, resolution)
}

export function recalledResolution(config: Interfaces.Config): Promise<ContextResolution> | undefined {
  return resolutions.get(config)
}
