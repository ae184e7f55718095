import {Flags} from '@oclif/core'

import {listDevices} from '../../../lib/auth/devices-list.js'
import {AuthenticatedCommand} from '../../../lib/command/authenticated-command.js'
import {jsonFlag} from '../../../lib/command/flags.js'
import type {CommandResult} from '../../../lib/output/format.js'

export default class AuthDevicesList extends AuthenticatedCommand<typeof AuthDevicesList> {
  static override summary = 'List the sessions active for your account'
  static override description = `Every device-flow sign-in registers a server-side session, labeled "difyctl on <hostname>" by default. This lists the sessions active for your account, on every device and client, so you can spot and revoke ones you don't recognize.

The table marks the session your current sign-in uses with *. LAST USED is empty for a session you haven't used since signing in. --json prints one line: a data array (id, prefix, client_id, device_label, created_at, last_used_at, expires_at per session) plus page, limit, total and has_more.`

  static override examples = [
    {command: '<%= config.bin %> <%= command.id %>', description: 'List the sessions active for your account'},
    {command: '<%= config.bin %> <%= command.id %> --page 2 --limit 50', description: 'The second page of 50'},
    {command: '<%= config.bin %> <%= command.id %> --json', description: 'For scripts: one line of JSON'},
  ]

  // Strings, checked in src/lib: a bad value is invalid_flag (exit 2) before any request, with the range in the message.
  static override flags = {
    json: jsonFlag,
    limit: Flags.string({description: 'Page size, 1 to 200 (default 20). The flag wins, then DIFY_LIMIT.', helpValue: '<n>'}),
    page: Flags.string({description: 'Page number (default 1).', helpValue: '<n>'}),
  }

  protected async execute(): Promise<CommandResult> {
    return listDevices({
      connect: () => this.apiClient(),
      env: this.services.env,
      limit: this.flags.limit,
      notice: this.machineOutput ? undefined : (line) => this.note(line),
      page: this.flags.page,
      signal: this.services.signal,
    })
  }
}
