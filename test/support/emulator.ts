import {startEmulator} from '../../emulator/index.js'
import type {
  Account,
  AccountInput,
  ClockView,
  ControlDeviceCodeView,
  ControlSessionView,
  Fault,
  FaultSpec,
  Knobs,
  KnobsPatch,
  LoopbackHost,
  RequestLogEntry,
} from '../../emulator/index.js'

/**
 * An in-process emulator for test suites, driven through its control API over real HTTP (the same
 * path a spawned CLI's traffic takes). Every instance has its own state; call `close()` in `after`.
 */

export interface TestEmulatorOptions {
  config?: KnobsPatch
  accounts?: AccountInput[]
  host?: LoopbackHost
  port?: number
}

export interface SessionSeed {
  /** A configured account's email, or `{email, issuer}` for an external-SSO (`dfoe_`) session. */
  account_email?: string | {email: string; issuer: string}
  email?: string
  issuer?: string
  /** Default `difyctl`. */
  client_id?: string
  /** Default: a unique label. Rows with the same subject, client and label rotate each other. */
  device_label?: string
  created_at?: string
  last_used_at?: string | null
  expires_at?: string
}

export interface SeededSession {
  id: string
  token: string
}

/** A control call that did not answer 2xx; `body` is the emulator's answer (e.g. `{error}`). */
export class EmulatorControlError extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
    what: string,
  ) {
    super(`emulator control ${what} answered ${status}: ${JSON.stringify(body)}`)
  }
}

export interface EmulatorControl {
  /** `user_code` may be `'latest'`; `email` defaults to the demo account. */
  approve(userCode: string, email?: string, workspaceId?: string): Promise<{token_id: string}>
  deny(userCode: string): Promise<void>
  approveSso(userCode: string, email: string, issuer: string): Promise<{token_id: string}>
  config(): Promise<Knobs>
  patchConfig(patch: KnobsPatch): Promise<Knobs>
  accounts(): Promise<Account[]>
  putAccounts(accounts: AccountInput[]): Promise<Account[]>
  seedSession(seed: SessionSeed): Promise<SeededSession>
  /** One request for many rows: fast enough for thousands. */
  seedSessions(seeds: SessionSeed[]): Promise<SeededSession[]>
  sessions(): Promise<ControlSessionView[]>
  deviceCodes(): Promise<ControlDeviceCodeView[]>
  addFault(fault: FaultSpec): Promise<Fault>
  faults(): Promise<Fault[]>
  clearFaults(): Promise<void>
  requests(): Promise<RequestLogEntry[]>
  clearRequests(): Promise<void>
  advanceClock(seconds: number): Promise<ClockView>
  setClock(iso: string): Promise<ClockView>
  clock(): Promise<ClockView>
  /** Clears codes, sessions, limits, faults, log and clock; `{config: true}` also restores start-up knobs and accounts. */
  reset(options?: {config?: boolean}): Promise<void>
  /** Any control call, answered as `{status, body}` without throwing. */
  raw(method: string, path: string, body?: unknown): Promise<{status: number; body: unknown}>
}

export interface TestEmulator {
  url: string
  port: number
  control: EmulatorControl
  close(): Promise<void>
}

export async function startTestEmulator(options: TestEmulatorOptions = {}): Promise<TestEmulator> {
  const emulator = await startEmulator({accounts: options.accounts, config: options.config, host: options.host, port: options.port})
  const raw = async (method: string, path: string, body?: unknown): Promise<{status: number; body: unknown}> => {
    const response = await fetch(`${emulator.url}/_emulator/${path.replace(/^\/+/, '')}`, {
      body: body === undefined ? undefined : JSON.stringify(body),
      headers: body === undefined ? {} : {'Content-Type': 'application/json'},
      method,
    })
    const text = await response.text()
    let parsed: unknown = text
    try {
      parsed = JSON.parse(text)
    } catch {}

    return {body: parsed, status: response.status}
  }

  const call = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const answer = await raw(method, path, body)
    if (answer.status < 200 || answer.status > 299) throw new EmulatorControlError(answer.status, answer.body, `${method} ${path}`)
    return answer.body as T
  }

  const control: EmulatorControl = {
    accounts: () => call('GET', 'accounts'),
    addFault: (fault) => call('POST', 'faults', fault),
    advanceClock: (seconds) => call('POST', 'clock', {advance_s: seconds}),
    approve: (userCode, email, workspaceId) =>
      call('POST', 'device-codes/approve', {account_email: email, user_code: userCode, workspace_id: workspaceId}),
    approveSso: (userCode, email, issuer) => call('POST', 'device-codes/approve-sso', {email, issuer, user_code: userCode}),
    async clearFaults() {
      await call('DELETE', 'faults')
    },
    async clearRequests() {
      await call('DELETE', 'requests')
    },
    clock: () => call('GET', 'clock'),
    config: () => call('GET', 'config'),
    async deny(userCode) {
      await call('POST', 'device-codes/deny', {user_code: userCode})
    },
    deviceCodes: () => call('GET', 'device-codes'),
    faults: () => call('GET', 'faults'),
    patchConfig: (patch) => call('PATCH', 'config', patch),
    putAccounts: (accounts) => call('PUT', 'accounts', accounts),
    raw,
    requests: () => call('GET', 'requests'),
    async reset(resetOptions = {}) {
      await call('POST', 'reset', resetOptions)
    },
    seedSession: (seed) => call('POST', 'sessions', seed),
    seedSessions: (seeds) => call('POST', 'sessions', seeds),
    sessions: () => call('GET', 'sessions'),
    setClock: (iso) => call('POST', 'clock', {now: iso}),
  }

  return {close: () => emulator.close(), control, port: emulator.port, url: emulator.url}
}
