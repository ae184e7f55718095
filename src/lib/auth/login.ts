import {type DeviceCode, type DeviceFlowTransport, type DeviceTokenPayload, pollDeviceToken, requestDeviceCode} from '../api/device-flow.js'
import {type ParsedHost, parseHostInput} from '../config/host-url.js'
import type {AccountContext, HostsAccess, TokenStorage, Workspace} from '../config/hosts.js'
import {getContext, replacedAccountKey, upsertContext} from '../config/registry.js'
import {loginCommand} from '../context/resolve.js'
import {DifyError} from '../errors/dify-error.js'
import type {BrowserOpener} from '../io/browser.js'
import type {Prompter} from '../io/prompter.js'
import type {StatusLine} from '../io/status.js'
import type {Clock} from '../io/system.js'
import type {CommandResult} from '../output/format.js'
import {singleLine} from '../output/sanitize.js'
import {identityLabel} from './whoami.js'

/** Saves a token where the selection rules say; answers where it went and an optional warning. */
export type TokenSaver = (ref: {host: string; account: string}, token: string) => Promise<{storage: TokenStorage; warning?: string}>
/** Best-effort removal of a token that is no longer referenced (a re-login moved it elsewhere). */
export type TokenRemover = (ref: {host: string; account: string}, storage: TokenStorage) => Promise<void>

export interface LoginOptions {
  /** What the user passed as --host, if anything. */
  host?: string
  allowHttp: boolean
  noBrowser: boolean
  interactive: boolean
  prompter: Prompter
  hostname: string
  clock: Clock
  signal: AbortSignal
  hosts: HostsAccess
  transportFor(host: ParsedHost): Promise<DeviceFlowTransport>
  openBrowser: BrowserOpener
  saveToken: TokenSaver
  removeToken: TokenRemover
  /** Fails when the token could not be stored after approval (bad storage setting, corrupt file). */
  checkTokenStorage(): Promise<void>
  status: StatusLine
  /** One line for people on stderr. */
  tell(line: string): void
}

export interface LoginData {
  host: string
  account: {id: string | null; email: string; name: string}
  workspace: Workspace | null
  token_storage: TokenStorage
}

/** Consecutive transport failures tolerated while polling before giving up. */
const MAX_POLL_FAILURES = 5

export function deviceLabel(hostname: string): string {
  const clean = singleLine(hostname).trim()
  return `difyctl on ${clean === '' ? 'unknown-host' : clean}`
}

async function chooseHost(options: LoginOptions): Promise<ParsedHost> {
  if (options.host !== undefined) return parseHostInput(options.host, {allowHttp: options.allowHttp})
  if (!options.interactive) {
    throw new DifyError('missing_flag', '--host is required when stdin or stderr is not a terminal', {
      hint: "run 'difyctl auth login --host https://dify.example.com'",
    })
  }

  const current = await options.hosts.read().catch(() => undefined)
  const suggestion = current?.currentHost ? current.hosts[current.currentHost]?.baseUrl : undefined
  const answer = await options.prompter.input('Dify host (console API URL):', suggestion ?? 'https://cloud.dify.ai')
  return parseHostInput(answer, {allowHttp: options.allowHttp})
}

function formatRemaining(ms: number): string {
  const total = Math.max(0, Math.ceil(ms / 1000))
  return `${Math.floor(total / 60)}:${String(total % 60).padStart(2, '0')}`
}

/**
 * RFC 8628 polling, per protocol §11.6: wait at least the interval after each response (not from
 * when the request was sent, so a slow network never makes polls arrive early), +5 s for the rest of
 * the flow after `slow_down`, and never poll once `expires_in` has passed since the code arrived.
 */
async function waitForApproval(options: LoginOptions, transport: DeviceFlowTransport, code: DeviceCode, host: ParsedHost): Promise<DeviceTokenPayload> {
  const again = `run '${loginCommand(host.baseUrl)}' to try again`
  const {clock, signal, status} = options
  const deadline = clock.now() + code.expiresInS * 1000
  let intervalMs = code.intervalS * 1000
  let failures = 0
  status.start(`Waiting for approval in the browser (code expires in ${formatRemaining(deadline - clock.now())})`)
  for (;;) {
    if (clock.now() + intervalMs > deadline) {
      // Too little time left for another well-spaced poll: let the code run out, then stop.
      await clock.sleep(Math.max(0, deadline - clock.now()), signal)
      throw new DifyError('expired_token', 'the one-time code expired before it was approved', {hint: again})
    }

    await clock.sleep(intervalMs, signal)
    let outcome
    try {
      outcome = await pollDeviceToken(transport, code.deviceCode, signal)
      failures = 0
    } catch (error) {
      // 5xx and dropped connections are worth another try within the code's lifetime; everything
      // else (a protocol violation, a missing route, Ctrl-C) ends the flow.
      const retriable = error instanceof DifyError && ['network_error', 'server_error', 'timeout'].includes(error.code)
      if (!retriable || ++failures >= MAX_POLL_FAILURES) throw error
      status.notice(`Server trouble (${error.code}: ${error.message}); retrying`)
      continue
    }

    switch (outcome.kind) {
      case 'approved': {
        return outcome.payload
      }

      case 'denied': {
        throw new DifyError('access_denied', 'the sign-in was denied in the browser', {hint: again})
      }

      case 'expired': {
        throw new DifyError('expired_token', 'the one-time code expired before it was approved', {hint: again})
      }

      case 'slow_down': {
        intervalMs += 5000
        break
      }

      case 'pending': {
        break
      }
    }

    status.update(`Waiting for approval in the browser (code expires in ${formatRemaining(deadline - clock.now())})`)
  }
}

function contextFrom(payload: DeviceTokenPayload, storage: TokenStorage): AccountContext {
  const email = payload.subjectType === 'external_sso' ? payload.subjectEmail : payload.account?.email
  if (email && (email !== singleLine(email) || /\s/.test(email))) {
    throw new DifyError('bad_response', 'the approved sign-in has an email address with spaces or control characters', {
      hint: 'difyctl keys sign-ins by email and will not store this one; check the account on the server',
    })
  }

  if (!email) {
    throw new DifyError('bad_response', 'the approved sign-in has no email address', {
      hint: 'difyctl keys sign-ins by email; ask your administrator to give the account an email',
    })
  }

  const workspace = payload.workspaces.find((candidate) => candidate.id === payload.defaultWorkspaceId) ?? null
  return {
    accountId: payload.subjectType === 'account' ? (payload.account?.id ?? null) : null,
    email,
    name: payload.account?.name ?? '',
    subjectIssuer: payload.subjectIssuer,
    subjectType: payload.subjectType,
    tokenExpiresAt: payload.expiresAt,
    tokenId: payload.tokenId,
    tokenStorage: storage,
    workspace,
  }
}

/**
 * `auth login`: the OAuth 2.0 device flow, then the token into the credential store and the context
 * into hosts.yml, made active. Nothing is written before the token arrives; hosts.yml is written
 * only after the token is stored, so it never points at a missing token.
 */
export async function login(options: LoginOptions): Promise<CommandResult<LoginData>> {
  const host = await chooseHost(options)
  // Everything that could stop us from keeping the token is checked before the device flow starts:
  // approving a sign-in retires the previous session for this device at once (protocol §4.4), so a
  // failure afterwards would leave the user with neither the old sign-in nor the new one.
  await options.hosts.update(() => {})
  await options.checkTokenStorage()
  const transport = await options.transportFor(host)
  const code = await requestDeviceCode(transport, deviceLabel(options.hostname), options.signal)
  options.tell(`! Copy this one-time code: ${singleLine(code.userCode)}`)
  options.tell(`Open: ${singleLine(code.verificationUri)}`)
  if (!options.noBrowser) {
    const opened = await options.openBrowser(code.verificationUri)
    if (!opened.opened) options.tell(`Not opening a browser: ${opened.reason ?? 'unknown reason'}; open the URL above yourself.`)
  }

  let payload: DeviceTokenPayload
  try {
    payload = await waitForApproval(options, transport, code, host)
  } finally {
    options.status.stop()
  }

  const provisional = contextFrom(payload, 'keychain')
  const ref = {account: provisional.email, host: host.key}
  // The context this sign-in supersedes (same account, possibly stored under another spelling): its
  // token is dead now (rotation), so it goes once the new one is safely stored.
  const previous = await options.hosts.read().then(
    (file) => {
      const key = replacedAccountKey(file.hosts[host.key], provisional)
      const storage = key === undefined ? null : getContext(file, {email: key, host: host.key})?.account.tokenStorage
      return key !== undefined && storage ? {ref: {account: key, host: host.key}, storage} : undefined
    },
    () => undefined,
  )
  const saved = await options.saveToken(ref, payload.token)
  if (saved.warning) options.tell(saved.warning)
  const account = {...provisional, tokenStorage: saved.storage}
  try {
    await options.hosts.update((file) => upsertContext(file, host.key, host.baseUrl, account))
  } catch (error) {
    // Keep the store and hosts.yml consistent: a token nobody references is removed again.
    await options.removeToken(ref, saved.storage).catch(() => {})
    throw error
  }

  if (previous && (previous.storage !== saved.storage || previous.ref.account !== ref.account)) {
    await options.removeToken(previous.ref, previous.storage).catch(() => {})
  }
  const workspaceName = account.workspace ? singleLine(account.workspace.name) : 'none'
  return {
    data: {
      account: {email: account.email, id: account.accountId, name: account.name},
      host: host.key,
      token_storage: saved.storage,
      workspace: account.workspace,
    },
    human: `✓ Logged in to ${host.key} as ${identityLabel(account.email, account.name)}\n  Workspace: ${workspaceName}\n`,
  }
}
