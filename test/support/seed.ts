import type {HostsFile} from '../../src/lib/config/hosts.js'
import {SealedFileStore} from '../../src/lib/credentials/sealed-file.js'
import {systemClock} from '../../src/lib/io/system.js'
import type {CliState} from './cli.js'

/** A token in the documented format, unique per context, for seeded state. */
export function fakeToken(host: string, email: string): string {
  const body = Buffer.from(`${host}/${email}`).toString('base64url').padEnd(43, 'x').slice(0, 43)
  return `dfoa_${body}`
}

/**
 * Stores a token in the sealed file for every context of `file` that says it has one, through the
 * project's own store (the same code `auth login` uses), so local-command tests start from the
 * state a real sign-in leaves.
 */
export async function seedTokens(state: CliState, file: HostsFile): Promise<Map<string, string>> {
  const store = new SealedFileStore({clock: systemClock, configDir: state.configDir, dataDir: state.dataDir})
  const tokens = new Map<string, string>()
  for (const [host, entry] of Object.entries(file.hosts)) {
    for (const [email, account] of Object.entries(entry.accounts)) {
      if (account.tokenStorage !== 'sealed-file') continue
      const token = fakeToken(host, email)
      await store.set({account: email, host}, token)
      tokens.set(`${host}/${email}`, token)
    }
  }

  return tokens
}
