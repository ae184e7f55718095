import {Flags} from '@oclif/core'

import {useAccount} from '../../lib/auth/use.js'
import {DifyCommand} from '../../lib/command/dify-command.js'
import type {CommandResult} from '../../lib/output/format.js'

export default class UseAccount extends DifyCommand<typeof UseAccount> {
  static override summary = 'Switch the active account on the current host'
  static override description = `Changes which stored account is active on the active host. Local only: it switches between sign-ins you already have.

In a terminal, omit --email to pick from your stored accounts; in a script, CI or pipe the flag is required. An account whose stored token is gone (revoked, or cleared by a session revoke) fails with not_logged_in and a hint to sign in again.`

  static override examples = [
    {command: '<%= config.bin %> <%= command.id %> --email teammate-bot@company.com', description: 'Switch to another account on the active host'},
    {command: '<%= config.bin %> <%= command.id %>', description: 'Pick from the stored accounts (terminal only)'},
  ]

  static override flags = {
    email: Flags.string({description: 'The account to switch to.', helpValue: '<email>'}),
  }

  protected async execute(): Promise<CommandResult> {
    const {interactive, prompter} = this.services
    return useAccount({
      email: this.flags.email,
      hosts: await this.services.hosts(),
      interactive,
      prompter,
      tokenPresent: async (ref, storage) => {
        const stores = await this.services.credentials()
        return stores.tokenPresent(ref, storage)
      },
    })
  }
}
