import {HOSTS_FILE_VERSION, parseHostsYaml} from './hosts-data.js'
import {loadHostsYaml} from './hosts-yaml.js'

/**
 * hosts.yml: metadata of every stored sign-in, never a token. The data model lives here; reading and
 * checking it is in hosts-data.ts, js-yaml's part (schema, loader, writer) in hosts-yaml.ts and the
 * fast reader for difyctl's own files in hosts-fast-load.ts.
 */

export {emptyHostsFile, HOSTS_FILE_VERSION, hostsFileFromData} from './hosts-data.js'
export {READ_SCHEMA, serializeHostsFile} from './hosts-yaml.js'

export type TokenStorage = 'keychain' | 'sealed-file'
export type SubjectType = 'account' | 'external_sso'

export interface Workspace {
  id: string
  name: string
  role?: string
}

export interface AccountContext {
  email: string
  accountId: string | null
  name: string
  subjectType: SubjectType
  /** Issuer of an external-SSO subject; null for Dify accounts. */
  subjectIssuer: string | null
  workspace: Workspace | null
  tokenId: string | null
  tokenExpiresAt: string | null
  /** Where the token lives; null once the token was discarded (revoked) while the account stays known. */
  tokenStorage: TokenStorage | null
}

export interface HostEntry {
  /** The base URL as the user gave it, normalised: scheme, port and path prefix survive. */
  baseUrl: string
  currentAccount: string | null
  accounts: Record<string, AccountContext>
}

export interface HostsFile {
  version: typeof HOSTS_FILE_VERSION
  currentHost: string | null
  hosts: Record<string, HostEntry>
}

/**
 * Parses hosts.yml text. Empty (or whitespace-only) means no contexts. Anything else that is not a
 * valid file of a version this build knows is `config_corrupt`, naming the file and, when the YAML
 * parser knows it, the line. (HostsStore reads difyctl's own files through hosts-fast-load.ts
 * instead, to the same result without loading js-yaml.)
 */
export function parseHostsFile(text: string, path: string): HostsFile {
  return parseHostsYaml(text, path, loadHostsYaml)
}

/** What behaviours need of hosts.yml: a read, and a locked read-modify-write. HostsStore implements it. */
export interface HostsAccess {
  read(): Promise<HostsFile>
  update<T>(mutate: (file: HostsFile) => T | Promise<T>): Promise<T>
}
