import type {AccountContext, HostEntry, HostsFile} from './hosts.js'

/**
 * Pure operations on a parsed hosts.yml. Each returns what it decided; the caller persists the file
 * under the lock. Nothing here touches disk or the credential store.
 */

export interface ContextRef {
  host: string
  email: string
}

export interface ResolvedContext extends ContextRef {
  baseUrl: string
  account: AccountContext
}

export function getContext(file: HostsFile, ref: ContextRef): ResolvedContext | undefined {
  const entry = file.hosts[ref.host]
  const account = entry?.accounts[ref.email]
  return entry && account ? {account, baseUrl: entry.baseUrl, email: ref.email, host: ref.host} : undefined
}

/** The active context: the current host's current account, when both exist and it still has a token. */
export function activeContext(file: HostsFile): ResolvedContext | undefined {
  if (!file.currentHost) return undefined
  const entry = file.hosts[file.currentHost]
  if (!entry?.currentAccount) return undefined
  const context = getContext(file, {email: entry.currentAccount, host: file.currentHost})
  return context?.account.tokenStorage ? context : undefined
}

export interface ListedContext {
  host: string
  email: string
  name: string
  active: boolean
  hasToken: boolean
}

export function listContexts(file: HostsFile): ListedContext[] {
  const active = activeContext(file)
  const rows: ListedContext[] = []
  for (const [host, entry] of Object.entries(file.hosts)) {
    for (const [email, account] of Object.entries(entry.accounts)) {
      rows.push({
        active: active?.host === host && active.email === email,
        email,
        hasToken: account.tokenStorage !== null,
        host,
        name: account.name,
      })
    }
  }

  return rows
}

/** Adds or refreshes a context (replacing the one it supersedes, see replacedAccountKey) and makes it active. */
export function upsertContext(file: HostsFile, host: string, baseUrl: string, account: AccountContext): void {
  const entry: HostEntry = file.hosts[host] ?? {accounts: {}, baseUrl, currentAccount: null}
  const replaced = replacedAccountKey(entry, account)
  if (replaced !== undefined && replaced !== account.email) delete entry.accounts[replaced]
  entry.baseUrl = baseUrl
  entry.accounts[account.email] = account
  entry.currentAccount = account.email
  file.hosts[host] = entry
  file.currentHost = host
}

/** Removes a context entirely; when it was active, another account on that host (or another host) takes over. */
export function removeContext(file: HostsFile, ref: ContextRef): void {
  const entry = file.hosts[ref.host]
  if (!entry) return
  delete entry.accounts[ref.email]
  if (Object.keys(entry.accounts).length === 0) {
    delete file.hosts[ref.host]
    if (file.currentHost === ref.host) file.currentHost = firstHostWithToken(file)
    return
  }

  if (entry.currentAccount === ref.email) entry.currentAccount = firstAccountWithToken(entry)
}

/**
 * Keeps the account known but records that its token is gone (a revoked session). It stops being the
 * active account, so `auth whoami` says "not logged in" and `use account` can say why.
 */
export function forgetToken(file: HostsFile, ref: ContextRef): void {
  const entry = file.hosts[ref.host]
  const account = entry?.accounts[ref.email]
  if (!entry || !account) return
  account.tokenStorage = null
  account.tokenId = null
  account.tokenExpiresAt = null
  if (entry.currentAccount === ref.email) entry.currentAccount = null
}

export function firstAccountWithToken(entry: HostEntry): string | null {
  return Object.entries(entry.accounts).find(([, account]) => account.tokenStorage !== null)?.[0] ?? null
}

function firstHostWithToken(file: HostsFile): string | null {
  return Object.entries(file.hosts).find(([, entry]) => firstAccountWithToken(entry) !== null)?.[0] ?? null
}

/**
 * The stored key for an email on a host: the exact spelling first, else a case-insensitive match
 * (email domains, and in practice whole addresses, are case-insensitive). Undefined when neither.
 */
export function findAccountKey(entry: HostEntry, email: string): string | undefined {
  if (entry.accounts[email]) return email
  const folded = email.toLowerCase()
  return Object.keys(entry.accounts).find((key) => key.toLowerCase() === folded)
}

/**
 * The stored context a fresh sign-in replaces: the same account id, or the same email in another
 * case. A server that changes an account's email (or its case) must not leave a dead twin behind.
 */
export function replacedAccountKey(entry: HostEntry | undefined, account: AccountContext): string | undefined {
  if (!entry) return undefined
  if (account.accountId) {
    const sameId = Object.entries(entry.accounts).find(([, stored]) => stored.accountId === account.accountId)
    if (sameId) return sameId[0]
  }

  return findAccountKey(entry, account.email)
}
