import {Flags} from '@oclif/core'

import {useHost} from '../../lib/auth/use.js'
import {DifyCommand} from '../../lib/command/dify-command.js'
import type {CommandResult} from '../../lib/output/format.js'

export default class UseHost extends DifyCommand<typeof UseHost> {
  static override summary = 'Switch the active host'
  static override description = `Changes which stored host later commands run against. Local only: it re-points the active context among the sign-ins you already have. To add a host, run "auth login --host".

In a terminal, omit --domain to pick from your stored hosts; in a script, CI or pipe the flag is required.`

  static override examples = [
    {command: '<%= config.bin %> <%= command.id %> --domain dify.internal.acme.com', description: 'Switch to a stored host by its domain'},
    {command: '<%= config.bin %> <%= command.id %> --domain 127.0.0.1:5001', description: 'A host on a non-default port keeps its port'},
    {command: '<%= config.bin %> <%= command.id %>', description: 'Pick from your stored hosts (terminal only)'},
  ]

  static override flags = {
    domain: Flags.string({description: 'The stored host to switch to, as its bare domain (dify.example.com), without a scheme.', helpValue: '<host>'}),
  }

  protected async execute(): Promise<CommandResult> {
    const {interactive, prompter} = this.services
    return useHost({domain: this.flags.domain, hosts: await this.services.hosts(), interactive, prompter})
  }
}
