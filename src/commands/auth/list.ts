import {listStoredContexts} from '../../lib/auth/list.js'
import {ContextCommand} from '../../lib/command/authenticated-command.js'
import {outputFlag} from '../../lib/command/flags.js'
import type {OutputOption} from '../../lib/command/output-mode.js'
import type {CommandResult} from '../../lib/output/format.js'

export default class AuthList extends ContextCommand<typeof AuthList> {
  static override summary = 'List your saved contexts (host and account pairs)'
  static override description = 'Shows every stored host and account pair and marks the active one. Purely local: it never contacts a server.'
  static override examples = [
    {command: '<%= config.bin %> <%= command.id %>', description: 'Table of contexts, the active one marked with *'},
    {command: '<%= config.bin %> <%= command.id %> -o json', description: 'A contexts array with host, account, name and active'},
    {command: '<%= config.bin %> <%= command.id %> -o name', description: 'The account emails, one per line'},
  ]

  static override outputFormats: readonly OutputOption[] = ['json', 'yaml', 'name']
  static override flags = {output: outputFlag(AuthList.outputFormats)}

  protected async execute(): Promise<CommandResult> {
    const resolution = await this.contextResolution()
    if (resolution.kind === 'failed' && !resolution.file) throw resolution.error
    const result = listStoredContexts(resolution.file!)
    if (result.data.contexts.length === 0 && !this.machineOutput) this.note("no sign-ins stored; run 'difyctl auth login --host <url>'")
    return result
  }
}
