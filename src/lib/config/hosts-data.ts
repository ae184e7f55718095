import {DifyError} from '../errors/dify-error.js'
import type {AccountContext, HostEntry, HostsFile, Workspace} from './hosts.js'

/**
 * hosts.yml's data checked into a HostsFile, without importing the YAML parser: the loaded mapping
 * comes from hosts-fast-load.ts (files difyctl wrote) or from js-yaml through hosts-yaml.ts (anything
 * else), so commands that only read the file never load js-yaml.
 */

export const HOSTS_FILE_VERSION = 1

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

/**
 * The loaded YAML of hosts.yml as a HostsFile; nothing (null, empty) means no contexts. Anything that is
 * not a valid file of a version this build knows is `config_corrupt`, naming the file.
 */
export function hostsFileFromData(raw: unknown, path: string): HostsFile {
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
      hint: 'fix the file, or move it aside and sign in again (difyctl never overwrites a file it cannot read)',
    })
  }
}

function lineOf(error: unknown): number | undefined {
  const mark = (error as {mark?: {line?: number}}).mark
  return typeof mark?.line === 'number' ? mark.line + 1 : undefined
}

/**
 * Parses hosts.yml text with `load` (js-yaml, from hosts-yaml.ts). Empty (or whitespace-only) means
 * no contexts. Anything else that is not a valid file of a version this build knows is
 * `config_corrupt`, naming the file and, when the YAML parser knows it, the line.
 */
export function parseHostsYaml(text: string, path: string, load: (text: string, filename: string) => unknown): HostsFile {
  if (text.trim() === '') return emptyHostsFile()
  let raw: unknown
  try {
    raw = load(text, path)
  } catch (error) {
    const line = lineOf(error)
    const reason = (error as {reason?: string}).reason ?? 'not valid YAML'
    throw new DifyError('config_corrupt', `${path}${line ? `:${line}` : ''}: ${reason}`, {
      cause: error,
      hint: 'fix the file, or move it aside and sign in again (difyctl never overwrites a file it cannot read)',
    })
  }

  return hostsFileFromData(raw, path)
}
