import {ContextCommand, jsonFlag} from 'difyctl'

/**
 * Prints the active context (host + account) that difyctl would use, resolved exactly as the core
 * commands resolve it: --host/--account style overrides from DIFY_HOST / DIFY_ACCOUNT, then
 * hosts.yml. Not signed in → the same error, rendering and exit code (4) as `difyctl auth whoami`.
 */
export default class HelloContext extends ContextCommand {
  static summary = 'Print the active context (sample plugin)'
  static examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> --json']
  static flags = {json: jsonFlag}

  async execute() {
    const context = await this.activeContext()
    const {account} = context
    return {
      data: {base_url: context.baseUrl, email: account.email, host: context.host, name: account.name, workspace: account.workspace?.name ?? null},
      human: `hello ${account.email} on ${context.host}\n`,
      names: [account.email],
    }
  }
}
