import {Args, Flags} from '@oclif/core'

import {batchProgress} from '../../../lib/auth/devices-batch.js'
import {revokeDevices} from '../../../lib/auth/devices-revoke.js'
import {AuthenticatedCommand} from '../../../lib/command/authenticated-command.js'
import type {CommandResult} from '../../../lib/output/format.js'

export default class AuthDevicesRevoke extends AuthenticatedCommand<typeof AuthDevicesRevoke> {
  static override summary = 'Revoke sessions'
  static override description = `Ends sessions server-side. The target matches by exact label first, then by exact session ID, then by case-insensitive label substring. A target that matches more than one session fails with the candidates listed, so pass an exact ID to disambiguate. In a terminal, difyctl first asks you to confirm (Revoke <N> session(s)? [y/N]); pass -y/--yes to skip the prompt. Outside a terminal (a script or pipe), it revokes without prompting.

If you revoke the session your current sign-in uses, difyctl also clears that context's local credentials: you are signed out on this machine.`

  static override examples = [
    {command: '<%= config.bin %> <%= command.id %> "difyctl on build-runner-3"', description: 'Revoke one session by its label'},
    {command: '<%= config.bin %> <%= command.id %> --all', description: "Sign out everywhere else, keeping this machine's session"},
  ]

  static override args = {
    // Never read from stdin: `yes | difyctl auth devices revoke --all` (F09) would otherwise turn the
    // piped "y" lines into a target.
    target: Args.string({description: 'A device label or session ID from auth devices list. Required unless --all is passed.', ignoreStdin: true}),
  }

  static override flags = {
    all: Flags.boolean({description: 'Revoke every session except the current one.'}),
    yes: Flags.boolean({char: 'y', description: 'Skip the confirmation prompt.'}),
  }

  protected async execute(): Promise<CommandResult> {
    const {services} = this
    return revokeDevices({
      all: this.flags.all,
      clock: services.clock,
      confirm: (message) => services.prompter.confirm(message, false),
      connect: () => this.apiClient(),
      async deleteToken(context) {
        const stores = await services.credentials()
        if (context.account.tokenStorage) await stores.storeFor(context.account.tokenStorage).delete({account: context.email, host: context.host})
      },
      hosts: await services.hosts(),
      interactive: services.interactive,
      notice: (line) => this.note(line),
      progress: (host) => batchProgress(services.streams, services.env, host),
      signal: services.signal,
      target: this.args.target,
      yes: this.flags.yes,
    })
  }
}
