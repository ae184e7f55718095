import type {ResolvedContext} from '../config/registry.js'
import type {CommandResult} from '../output/format.js'
import {singleLine} from '../output/sanitize.js'

export interface WhoamiData {
  id: string | null
  email: string
  name: string
}

/** `<email> (<name>)`, or just the email when the subject has no name (external SSO). */
export function identityLabel(email: string, name: string): string {
  const cleanName = singleLine(name)
  return cleanName ? `${singleLine(email)} (${cleanName})` : singleLine(email)
}

/** Purely local: who the active context belongs to, whatever the server thinks of its token. */
export function whoami(context: ResolvedContext): CommandResult<WhoamiData> {
  const {account} = context
  return {
    // Documented key order: id, email, name.
    data: {id: account.accountId, email: account.email, name: account.name},
    human: `${identityLabel(account.email, account.name)}\n`,
    names: [account.email],
  }
}
