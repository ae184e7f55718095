import os from 'node:os'

import {type Dirs, resolveDirs} from '../config/dirs.js'
import type {HostsStore} from '../config/hosts-store.js'
import type {HttpClient} from '../api/http-client.js'
import type {CredentialStores} from '../credentials/select.js'
import {inquirerPrompter, type Prompter} from '../io/prompter.js'
import {type Clock, type Env, type Streams, systemClock, systemEnv, systemStreams} from '../io/system.js'
import {isInteractive} from '../io/terminal.js'

/**
 * Everything a behaviour may touch outside its own memory, built once per invocation. Heavy parts
 * (the hosts store, credential backends) are created on first use so that a command pays only for
 * what it needs. Tests build their own with fakes or temporary directories.
 */
export interface Services {
  readonly env: Env
  readonly streams: Streams
  readonly clock: Clock
  readonly prompter: Prompter
  readonly interactive: boolean
  readonly platform: NodeJS.Platform
  readonly arch: string
  readonly version: string
  /** Aborted on Ctrl-C; long waits and requests listen to it. */
  readonly signal: AbortSignal
  dirs(): Dirs
  hosts(): Promise<HostsStore>
  /**
   * An HTTP client for one host; with a token it is bound to that host's origin. `quick` is for
   * best-effort calls a command must not hang on (logout's revoke): one try, a short timeout.
   */
  http(options: {baseUrl: string; token?: string; quick?: boolean}): Promise<HttpClient>
  credentials(): Promise<CredentialStores>
  hostname(): string
}

export interface SystemServicesOptions {
  version: string
  signal: AbortSignal
  env?: Env
  streams?: Streams
}

export function systemServices(options: SystemServicesOptions): Services {
  const env = options.env ?? systemEnv()
  const streams = options.streams ?? systemStreams()
  let dirs: Dirs | undefined
  let hosts: Promise<HostsStore> | undefined
  let credentials: Promise<CredentialStores> | undefined
  const services: Services = {
    arch: process.arch,
    clock: systemClock,
    credentials() {
      credentials ??= import('../credentials/select.js').then(({createCredentialStores}) =>
        createCredentialStores({clock: systemClock, dirs: services.dirs(), env}),
      )
      return credentials
    },
    dirs() {
      dirs ??= resolveDirs({env, homedir: os.homedir(), platform: process.platform})
      return dirs
    },
    env,
    hostname: () => os.hostname(),
    async http({baseUrl, quick, token}) {
      const [{createHttpClient}, {userAgent}] = await Promise.all([import('../api/http-client.js'), import('../api/user-agent.js')])
      return createHttpClient({
        baseUrl,
        clock: systemClock,
        env,
        onNotice: (line) => streams.stderr.write(`${line}\n`),
        signal: options.signal,
        token,
        userAgent: userAgent(options.version, process.platform, process.arch),
        ...(quick ? {retry: {attempts: 1, baseDelayMs: 0}, timeoutMs: 5000} : {}),
      })
    },
    hosts() {
      hosts ??= import('../config/hosts-store.js').then(({HostsStore}) => new HostsStore({clock: systemClock, configDir: services.dirs().configDir}))
      return hosts
    },
    interactive: isInteractive(streams),
    platform: process.platform,
    prompter: inquirerPrompter(),
    signal: options.signal,
    streams,
    version: options.version,
  }
  return services
}
