import type {HostsAccess} from '../config/hosts.js'
import type {ResolvedContext} from '../config/registry.js'
import {activeContext, removeContext} from '../config/registry.js'
import {DifyError} from '../errors/dify-error.js'
import type {CommandResult} from '../output/format.js'

export interface LogoutOptions {
  context: ResolvedContext
  hosts: HostsAccess
  /** The stored token, or null when none is there; throws keyring_unavailable when the store can't be read. */
  readToken(): Promise<string | null>
  /** `DELETE account/sessions/self` with that token. */
  revokeSession(token: string): Promise<void>
  deleteToken(): Promise<void>
  /** One line for people on stderr: warnings, and which context is active afterwards. */
  tell(line: string): void
}

export interface LogoutData {
  host: string
  account: string
  revoked: boolean
}

function reason(error: unknown): string {
  return error instanceof DifyError ? `${error.code}: ${error.message}` : (error as Error).message
}

/**
 * `auth logout`: revoke the session server-side when possible, then always clean up locally. A dead
 * server, a token the server already rejects, or a credential store that cannot be read costs a
 * warning, never the local cleanup.
 */
export async function logout(options: LogoutOptions): Promise<CommandResult<LogoutData>> {
  const {context} = options
  let revoked = false
  let token: string | null = null
  try {
    token = await options.readToken()
    if (token === null) options.tell(`warning: no stored token for ${context.email} on ${context.host}; skipped the server-side revoke`)
  } catch (error) {
    options.tell(`warning: could not read the token (${reason(error)}); skipped the server-side revoke`)
  }

  if (token !== null) {
    try {
      await options.revokeSession(token)
      revoked = true
    } catch (error) {
      options.tell(`warning: could not revoke the session on ${context.host} (${reason(error)}); removing the local sign-in anyway`)
    }
  }

  try {
    await options.deleteToken()
  } catch (error) {
    options.tell(`warning: could not delete the stored token (${reason(error)}); ${context.account.tokenStorage === 'keychain' ? `remove the item "${context.host}/${context.email}" of service "difyctl" from your OS credential store` : 'it stays in the sealed file (credentials.sealed in the config directory) until that file is repaired or removed'}`)
  }

  const next = await options.hosts.update((file) => {
    removeContext(file, {email: context.email, host: context.host})
    return activeContext(file)
  })
  // Another stored sign-in may take over; a script's next command would run against it, so say so.
  if (next) options.tell(`Active context is now ${next.email} on ${next.host}`)
  return {
    data: {account: context.email, host: context.host, revoked},
    human: `✓ Logged out of ${context.host}\n`,
  }
}
