import {revokeOwnSession} from '../../lib/api/sessions.js'
import {logout} from '../../lib/auth/logout.js'
import {AuthenticatedCommand} from '../../lib/command/authenticated-command.js'
import type {CommandResult} from '../../lib/output/format.js'

export default class AuthLogout extends AuthenticatedCommand<typeof AuthLogout> {
  static override summary = 'Sign out of the active context'
  static override description = `Revokes the active context's session on the server, then deletes its token and its hosts.yml entry from this machine. Other saved contexts are untouched.

The local cleanup always happens: if the server-side revoke fails, or the OS credential store cannot be read, difyctl prints a warning on stderr and removes the local sign-in anyway.`

  static override examples = [{command: '<%= config.bin %> <%= command.id %>', description: 'Sign out of the active host and account'}]

  protected async execute(): Promise<CommandResult> {
    const {services} = this
    const context = await this.activeContext()
    const ref = {account: context.email, host: context.host}
    const store = async () => (await services.credentials()).storeFor(context.account.tokenStorage!)
    return logout({
      context,
      deleteToken: async () => {
        await (await store()).delete(ref)
      },
      hosts: await services.hosts(),
      readToken: async () => (await store()).get(ref),
      revokeSession: async (token) => revokeOwnSession(await services.http({baseUrl: context.baseUrl, quick: true, token}), services.signal),
      tell: (line) => this.note(line),
    })
  }
}
