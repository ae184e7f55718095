import {whoami} from '../../lib/auth/whoami.js'
import {ContextCommand} from '../../lib/command/authenticated-command.js'
import {jsonFlag} from '../../lib/command/flags.js'
import type {CommandResult} from '../../lib/output/format.js'

export default class AuthWhoami extends ContextCommand<typeof AuthWhoami> {
  static override summary = 'Show who the active context belongs to'
  static override description = `Reads the stored context without contacting the server: it answers "which identity is active", not "is the token still valid", so it exits 0 even if the session has expired server-side.

DIFY_HOST and DIFY_ACCOUNT, when set, pick the context instead of the stored active one.`

  static override examples = [
    {command: '<%= config.bin %> <%= command.id %>', description: 'Print the active identity'},
    {command: '<%= config.bin %> <%= command.id %> --json', description: 'For scripts: one line of JSON with id, email and name'},
  ]

  static override flags = {json: jsonFlag}

  protected async execute(): Promise<CommandResult> {
    return whoami(await this.activeContext())
  }
}
