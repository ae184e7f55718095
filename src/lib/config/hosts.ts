import yaml from 'js-yaml'

import {DifyError} from '../errors/dify-error.js'

/**
 * hosts.yml: metadata of every stored sign-in, never a token. Parsed with YAML's failsafe schema plus
 * only `null` and booleans, so every other scalar stays the string it was written as: an id `0012345`
 * or a workspace `12.10` hand-edited without quotes must not turn into numbers.
 */
// js-yaml 4 exports its built-in types at run time; @types/js-yaml does not declare them.
const builtinTypes = (yaml as unknown as {types: Record<'bool' | 'null', yaml.Type>}).types
const READ_SCHEMA = yaml.FAILSAFE_SCHEMA.extend({implicit: [builtinTypes.null, builtinTypes.bool]})

export const HOSTS_FILE_VERSION = 1

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

export function emptyHostsFile(): HostsFile {
  return {currentHost: null, hosts: {}, version: HOSTS_FILE_VERSION}
}

class SchemaError extends Error {}

type Raw = Record<string, unknown>

function isMap(value: unknown): value is Raw {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function str(raw: Raw, key: string, where: string): string {
  const value = raw[key]
  if (typeof value !== 'string' || value === '') throw new SchemaError(`${where}.${key} must be a non-empty string`)
  return value
}

function optStr(raw: Raw, key: string, where: string): string | null {
  const value = raw[key]
  if (value === undefined || value === null || value === '') return null
  if (typeof value !== 'string') throw new SchemaError(`${where}.${key} must be a string`)
  return value
}

function parseWorkspace(value: unknown, where: string): Workspace | null {
  if (value === undefined || value === null || value === '') return null
  if (!isMap(value)) throw new SchemaError(`${where} must be a mapping`)
  const role = optStr(value, 'role', where)
  return {id: str(value, 'id', where), name: str(value, 'name', where), ...(role ? {role} : {})}
}

function parseAccount(email: string, value: unknown, where: string): AccountContext {
  if (!isMap(value)) throw new SchemaError(`${where} must be a mapping`)
  const storage = optStr(value, 'token_storage', where)
  if (storage !== null && storage !== 'keychain' && storage !== 'sealed-file') {
    throw new SchemaError(`${where}.token_storage must be keychain or sealed-file`)
  }

  const subjectType = optStr(value, 'subject_type', where) ?? 'account'
  if (subjectType !== 'account' && subjectType !== 'external_sso') {
    throw new SchemaError(`${where}.subject_type must be account or external_sso`)
  }

  return {
    accountId: optStr(value, 'account_id', where),
    email,
    name: optStr(value, 'name', where) ?? '',
    subjectIssuer: optStr(value, 'subject_issuer', where),
    subjectType,
    tokenExpiresAt: optStr(value, 'token_expires_at', where),
    tokenId: optStr(value, 'token_id', where),
    tokenStorage: storage,
    workspace: parseWorkspace(value.workspace, `${where}.workspace`),
  }
}

function parseHost(value: unknown, where: string): HostEntry {
  if (!isMap(value)) throw new SchemaError(`${where} must be a mapping`)
  const accountsRaw = value.accounts ?? {}
  if (accountsRaw !== '' && !isMap(accountsRaw)) throw new SchemaError(`${where}.accounts must be a mapping`)
  const accounts: Record<string, AccountContext> = {}
  for (const [email, account] of Object.entries(isMap(accountsRaw) ? accountsRaw : {})) {
    accounts[email] = parseAccount(email, account, `${where}.accounts.${email}`)
  }

  return {accounts, baseUrl: str(value, 'base_url', where), currentAccount: optStr(value, 'current_account', where)}
}

function lineOf(error: unknown): number | undefined {
  const mark = (error as {mark?: {line?: number}}).mark
  return typeof mark?.line === 'number' ? mark.line + 1 : undefined
}

/**
 * Parses hosts.yml text. Empty (or whitespace-only) means no contexts. Anything else that is not a
 * valid file of a version this build knows is `config_corrupt`, naming the file and, when the YAML
 * parser knows it, the line.
 */
export function parseHostsFile(text: string, path: string): HostsFile {
  if (text.trim() === '') return emptyHostsFile()
  let raw: unknown
  try {
    raw = yaml.load(text, {filename: path, schema: READ_SCHEMA})
  } catch (error) {
    const line = lineOf(error)
    const reason = (error as {reason?: string}).reason ?? 'not valid YAML'
    throw new DifyError('config_corrupt', `${path}${line ? `:${line}` : ''}: ${reason}`, {
      cause: error,
      hint: `fix or move the file aside (difyctl never overwrites it); it is rebuilt by 'difyctl auth login'`,
    })
  }

  if (raw === null || raw === undefined || raw === '') return emptyHostsFile()
  try {
    if (!isMap(raw)) throw new SchemaError('the top level must be a mapping')
    const version = raw.version
    if (version !== String(HOSTS_FILE_VERSION)) {
      if (typeof version === 'string' && /^\d+$/.test(version) && Number(version) > HOSTS_FILE_VERSION) {
        throw new DifyError('config_corrupt', `${path}: written by a newer difyctl (version ${version}; this one reads ${HOSTS_FILE_VERSION})`, {
          hint: 'upgrade difyctl, or point DIFY_CONFIG_DIR at another directory',
        })
      }

      throw new SchemaError(`version must be ${HOSTS_FILE_VERSION}`)
    }

    const hostsRaw = raw.hosts ?? {}
    if (hostsRaw !== '' && !isMap(hostsRaw)) throw new SchemaError('hosts must be a mapping')
    const hosts: Record<string, HostEntry> = {}
    for (const [host, entry] of Object.entries(isMap(hostsRaw) ? hostsRaw : {})) {
      hosts[host] = parseHost(entry, `hosts.${host}`)
    }

    return {currentHost: optStr(raw, 'current_host', 'top level'), hosts, version: HOSTS_FILE_VERSION}
  } catch (error) {
    if (error instanceof DifyError) throw error
    throw new DifyError('config_corrupt', `${path}: ${(error as Error).message}`, {
      cause: error,
      hint: 'fix or move the file aside (difyctl never overwrites it); it is rebuilt by \'difyctl auth login\'',
    })
  }
}

/** Serialises with explicit quoting where a string would otherwise read back as a number or bool. */
export function serializeHostsFile(file: HostsFile): string {
  const doc = {
    version: file.version,
    current_host: file.currentHost,
    hosts: Object.fromEntries(
      Object.entries(file.hosts).map(([host, entry]) => [
        host,
        {
          base_url: entry.baseUrl,
          current_account: entry.currentAccount,
          accounts: Object.fromEntries(
            Object.entries(entry.accounts).map(([email, account]) => [
              email,
              {
                account_id: account.accountId,
                name: account.name,
                subject_type: account.subjectType,
                subject_issuer: account.subjectIssuer,
                workspace: account.workspace,
                token_id: account.tokenId,
                token_expires_at: account.tokenExpiresAt,
                token_storage: account.tokenStorage,
              },
            ]),
          ),
        },
      ]),
    ),
  }
  return '# difyctl sign-ins: metadata only, tokens live in the credential store.\n' + yaml.dump(doc, {lineWidth: -1, noRefs: true, quotingType: '"'})
}

/** What behaviours need of hosts.yml: a read, and a locked read-modify-write. HostsStore implements it. */
export interface HostsAccess {
  read(): Promise<HostsFile>
  update<T>(mutate: (file: HostsFile) => T | Promise<T>): Promise<T>
}
