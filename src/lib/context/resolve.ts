import {hostKeyOf} from '../config/host-url.js'
import type {HostsFile} from '../config/hosts.js'
import {activeContext, findAccountKey, firstAccountWithToken, getContext, type ResolvedContext} from '../config/registry.js'
import {DifyError} from '../errors/dify-error.js'
import type {Env} from '../io/system.js'
import {shellArg} from '../output/shell.js'

/**
 * Which context a command runs against: `DIFY_HOST` / `DIFY_ACCOUNT` from the environment override
 * hosts.yml's active context (so a CI job can pick one sign-in without switching the stored one).
 * The answer is data, never a throw: the prerun hook must not fail, and each command decides what a
 * missing context means for it.
 */
export type ContextResolution =
  | {kind: 'active'; context: ResolvedContext; file: HostsFile}
  | {kind: 'failed'; error: DifyError; file?: HostsFile}
  | {kind: 'none'; error: DifyError; file: HostsFile}

/** The sign-in command for a host, complete enough to work when pasted (http hosts need --insecure). */
export function loginCommand(baseUrl?: string): string {
  if (!baseUrl) return 'difyctl auth login --host <url>'
  return `difyctl auth login --host ${shellArg(baseUrl)}${baseUrl.startsWith('http:') ? ' --insecure' : ''}`
}

export function loginHint(baseUrl?: string): string {
  return `run '${loginCommand(baseUrl)}'`
}

export function resolveFromFile(file: HostsFile, env: Env): ContextResolution {
  const hostOverride = env.DIFY_HOST?.trim() ? hostKeyOf(env.DIFY_HOST) : undefined
  const accountOverride = env.DIFY_ACCOUNT?.trim() || undefined
  if (hostOverride || accountOverride) {
    const host = hostOverride ?? file.currentHost
    const entry = host ? file.hosts[host] : undefined
    if (!host || !entry) {
      const known = Object.keys(file.hosts)
      return {
        error: new DifyError('unknown_host', `DIFY_HOST names ${host ?? 'no host'}, which has no stored sign-in`, {
          hint: known.length > 0 ? `known hosts: ${known.join(', ')}` : loginHint(),
        }),
        file,
        kind: 'failed',
      }
    }

    const email = accountOverride ? (findAccountKey(entry, accountOverride) ?? accountOverride) : (entry.currentAccount ?? firstAccountWithToken(entry))
    const context = email ? getContext(file, {email, host}) : undefined
    if (!context) {
      return {
        error: new DifyError('unknown_account', email ? `no stored account ${email} on ${host}` : `no stored account on ${host}`, {
          hint: `known accounts: ${Object.keys(entry.accounts).join(', ') || 'none'}`,
        }),
        file,
        kind: 'failed',
      }
    }

    if (!context.account.tokenStorage) {
      return {error: tokenGone(context), file, kind: 'none'}
    }

    return {context, file, kind: 'active'}
  }

  const context = activeContext(file)
  if (context) return {context, file, kind: 'active'}
  return {error: notLoggedIn(file), file, kind: 'none'}
}

export function tokenGone(context: ResolvedContext): DifyError {
  return new DifyError('not_logged_in', `the stored token for ${context.email} on ${context.host} is gone (revoked or signed out)`, {
    hint: loginHint(context.baseUrl),
  })
}

function notLoggedIn(file: HostsFile): DifyError {
  const host = file.currentHost ? file.hosts[file.currentHost] : undefined
  if (host) {
    const usable = Object.entries(host.accounts).filter(([, account]) => account.tokenStorage)
    if (usable.length > 0) {
      return new DifyError('not_logged_in', `no active account on ${file.currentHost}`, {
        hint: `run 'difyctl use account --email ${shellArg(usable[0][0])}', or ${loginHint(host.baseUrl)}`,
      })
    }

    return new DifyError('not_logged_in', `not signed in to ${file.currentHost}`, {hint: loginHint(host.baseUrl)})
  }

  return new DifyError('not_logged_in', 'not signed in', {hint: loginHint()})
}
