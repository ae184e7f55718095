import type {Command, Config} from '@oclif/core'

import type {HttpClient} from '../api/http-client.js'
import type {ResolvedContext} from '../config/registry.js'
import {recalledResolution, resolveActiveContext} from '../context/active.js'
import {type ContextResolution, loginCommand, tokenGone} from '../context/resolve.js'
import {DifyError} from '../errors/dify-error.js'
import {DifyCommand} from './dify-command.js'

/**
 * A command that runs against the active context (host + account). The prerun hook has usually
 * resolved it already; otherwise (a test calling the class directly) it is resolved here.
 */
export abstract class ContextCommand<T extends typeof Command = typeof Command> extends DifyCommand<T> {
  static usesContext = true

  private resolution?: Promise<ContextResolution>
  // The array the prerun hook saw: oclif's parse() later replaces this.argv with a copy.
  private readonly invocationArgv: readonly string[]

  constructor(argv: string[], config: Config) {
    super(argv, config)
    this.invocationArgv = argv
  }

  /** The resolution as data: commands like `auth list` work without an active context. */
  protected contextResolution(): Promise<ContextResolution> {
    this.resolution ??=
      recalledResolution(this.invocationArgv) ?? this.services.hosts().then((hosts) => resolveActiveContext({env: this.services.env, hosts}))
    return this.resolution
  }

  /** The active context, or the reason there is none (not_logged_in, unknown_host, config_corrupt…). */
  protected async activeContext(): Promise<ResolvedContext> {
    const resolution = await this.contextResolution()
    if (resolution.kind !== 'active') throw resolution.error
    return resolution.context
  }
}

export interface ContextClient {
  context: ResolvedContext
  client: HttpClient
}

/**
 * A command that calls the server as the active context: the token comes from the store recorded
 * for that context (never probed elsewhere), and the client only ever sends it to that host's origin.
 * A store that cannot be reached is `keyring_unavailable` (exit 1) and no request is sent.
 */
export abstract class AuthenticatedCommand<T extends typeof Command = typeof Command> extends ContextCommand<T> {
  protected async storedToken(context: ResolvedContext): Promise<string> {
    const storage = context.account.tokenStorage
    if (!storage) throw tokenGone(context)
    const stores = await this.services.credentials()
    let token: string | null
    try {
      token = await stores.storeFor(storage).get({account: context.email, host: context.host})
    } catch (error) {
      // The store is recorded per context, so DIFY_TOKEN_STORAGE alone cannot route around an
      // unreachable keychain: the way out is a fresh sign-in that stores the token in the file.
      // Matched by code, not class: the store module is loaded lazily (see services.ts).
      if ((error as {code?: unknown}).code === 'keyring_unavailable') {
        throw new DifyError('keyring_unavailable', (error as Error).message, {
          cause: error,
          hint: `unlock your keyring and retry, or sign in again storing the token in the sealed file: DIFY_TOKEN_STORAGE=file ${loginCommand(context.baseUrl)}`,
        })
      }

      throw error
    }

    if (token === null) throw tokenGone(context)
    return token
  }

  protected async apiClient(): Promise<ContextClient> {
    const context = await this.activeContext()
    const token = await this.storedToken(context)
    return {client: await this.services.http({baseUrl: context.baseUrl, token}), context}
  }
}
