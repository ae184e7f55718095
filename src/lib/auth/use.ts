import {hostKeyOf} from '../config/host-url.js'
import type {HostsAccess, HostsFile, TokenStorage} from '../config/hosts.js'
import {findAccountKey, firstAccountWithToken} from '../config/registry.js'
import {loginHint} from '../context/resolve.js'
import {DifyError} from '../errors/dify-error.js'
import type {Prompter} from '../io/prompter.js'
import type {CommandResult} from '../output/format.js'
import {shellArg} from '../output/shell.js'
import {identityLabel} from './whoami.js'

interface Asking {
  interactive: boolean
  prompter: Prompter
}

export interface UseHostOptions extends Asking {
  hosts: HostsAccess
  domain?: string
}

export interface UseHostData {
  host: string
  account: string
}

function noSignIns(): DifyError {
  return new DifyError('not_logged_in', 'no stored sign-ins', {hint: loginHint()})
}

function knownHostsHint(file: HostsFile): string {
  const known = Object.keys(file.hosts)
  return `known hosts: ${known.join(', ')}; e.g. 'difyctl use host --domain ${shellArg(known[0])}'`
}

/** Re-points the active context to another stored host. Local only; asks only in a terminal. */
export async function useHost(options: UseHostOptions): Promise<CommandResult<UseHostData>> {
  const snapshot = await options.hosts.read()
  const hostKeys = Object.keys(snapshot.hosts)
  if (hostKeys.length === 0) throw noSignIns()
  let target: string
  if (options.domain !== undefined) {
    target = hostKeyOf(options.domain)
    if (target === '') throw new DifyError('usage_error', '--domain is empty', {hint: knownHostsHint(snapshot)})
  } else if (options.interactive) {
    target = await options.prompter.select(
      'Switch to which host?',
      hostKeys.map((host) => ({name: host === snapshot.currentHost ? `${host} (active)` : host, value: host})),
      snapshot.currentHost ?? undefined,
    )
  } else {
    throw new DifyError('missing_flag', '--domain is required when stdin or stderr is not a terminal', {hint: knownHostsHint(snapshot)})
  }

  // The prompt ran without the lock (a person may take minutes); re-check under it.
  const account = await options.hosts.update((file) => {
    const entry = file.hosts[target]
    if (!entry) {
      if (Object.keys(file.hosts).length === 0) throw noSignIns()
      throw new DifyError('unknown_host', `no stored sign-in for ${target}`, {hint: knownHostsHint(file)})
    }

    const email = entry.currentAccount && entry.accounts[entry.currentAccount]?.tokenStorage ? entry.currentAccount : firstAccountWithToken(entry)
    if (!email) throw new DifyError('not_logged_in', `no account on ${target} has a stored token`, {hint: loginHint(entry.baseUrl)})
    file.currentHost = target
    entry.currentAccount = email
    return email
  })
  return {data: {account, host: target}, human: `✓ Active host is now ${target}\n`, names: [target]}
}

export interface UseAccountOptions extends Asking {
  hosts: HostsAccess
  email?: string
  /**
   * Whether the credential store still holds the account's token: true, false, or undefined when the
   * store cannot be asked right now (then the switch goes ahead and a later command reports it).
   */
  tokenPresent(ref: {host: string; account: string}, storage: TokenStorage): Promise<boolean | undefined>
}

export interface UseAccountData {
  host: string
  account: string
}

function knownAccountsHint(host: string, file: HostsFile): string {
  const known = Object.keys(file.hosts[host]?.accounts ?? {})
  return `known accounts on ${host}: ${known.join(', ')}; e.g. 'difyctl use account --email ${shellArg(known[0])}'`
}

/** Switches the active account on the active host among stored sign-ins. */
export async function useAccount(options: UseAccountOptions): Promise<CommandResult<UseAccountData>> {
  const snapshot = await options.hosts.read()
  const host = snapshot.currentHost
  const entry = host ? snapshot.hosts[host] : undefined
  if (!host || !entry || Object.keys(entry.accounts).length === 0) {
    throw Object.keys(snapshot.hosts).length === 0
      ? noSignIns()
      : new DifyError('not_logged_in', 'no stored sign-in on the active host', {hint: `run 'difyctl use host' to pick a host, or ${loginHint()}`})
  }

  let email: string
  if (options.email !== undefined) {
    email = options.email.trim()
  } else if (options.interactive) {
    email = await options.prompter.select(
      `Switch to which account on ${host}?`,
      Object.entries(entry.accounts).map(([address, account]) => ({
        name: identityLabel(address, account.name) + (address === entry.currentAccount ? ' (active)' : account.tokenStorage ? '' : ' [signed out]'),
        value: address,
      })),
      entry.currentAccount ?? undefined,
    )
  } else {
    throw new DifyError('missing_flag', '--email is required when stdin or stderr is not a terminal', {hint: knownAccountsHint(host, snapshot)})
  }

  const match = findAccountKey(entry, email)
  if (!match) throw new DifyError('unknown_account', `no stored account ${email} on ${host}`, {hint: knownAccountsHint(host, snapshot)})
  const storage = entry.accounts[match].tokenStorage
  const present = storage ? await options.tokenPresent({account: match, host}, storage) : false
  if (present === false) {
    throw new DifyError('not_logged_in', `the stored token for ${match} on ${host} is gone (revoked or signed out)`, {
      hint: loginHint(entry.baseUrl),
    })
  }

  await options.hosts.update((file) => {
    const current = file.hosts[host]
    if (!current?.accounts[match]) throw new DifyError('unknown_account', `no stored account ${match} on ${host}`, {hint: knownAccountsHint(host, file)})
    file.currentHost = host
    current.currentAccount = match
  })
  return {data: {account: match, host}, human: `✓ Active account on ${host} is now ${match}\n`, names: [match]}
}
