import {defaultWorkspace} from './config.js'
import type {Account} from './config.js'
import type {DeviceRecord} from './device-store.js'
import {errorReply, jsonReply} from './http-io.js'
import type {Call, Detail, Reply} from './http-io.js'
import type {Subject} from './session-store.js'
import type {EmulatorState} from './state.js'
import {formatTimestamp} from './time-format.js'

/** Who an approval mints a token for. */
export type Approver =
  | {kind: 'account'; account: Account; workspaceId: string | null}
  | {kind: 'sso'; email: string; issuer: string}

export interface DecisionOutcome {
  reply: Reply
  tokenId?: string
}

const RFC = (status: number, error: string): Reply => jsonReply(status, {error})

export const rateLimited = (): Reply => errorReply(429, {message: 'rate_limited'})

/** Protocol §4.5: trimmed and upper-cased; the hyphen stays required. */
export function normalizeUserCode(input: string): string {
  return input.trim().toUpperCase()
}

function requireStrings(body: Record<string, unknown>, names: string[]): Detail[] {
  const details: Detail[] = []
  for (const name of names) {
    if (!(name in body)) details.push({loc: [name], msg: 'Field required', type: 'missing'})
    else if (typeof body[name] !== 'string') details.push({loc: [name], msg: 'Input should be a valid string', type: 'string_type'})
  }

  return details
}

function badRequest(details: Detail[]): Reply {
  return errorReply(400, {details, message: 'Invalid request body'})
}

/** `POST oauth/device/code` (protocol §4.1). */
export function requestDeviceCode(state: EmulatorState, call: Call, origin: string): Reply {
  if (!state.limiter.take(`device_code:${call.ip}`, state.knobs.rate_limits.device_code).ok) return rateLimited()
  const details = requireStrings(call.body, ['client_id', 'device_label'])
  if (details.length > 0) return badRequest(details)
  const clientId = call.body.client_id as string
  if (!state.knobs.known_client_ids.includes(clientId)) return RFC(400, 'unsupported_client')
  const now = state.clock.nowUs()
  let userCode = state.ids.userCode()
  while (state.devices.userCodeTaken(userCode)) userCode = state.ids.userCode()
  const record = state.devices.add({
    clientId,
    createdUs: now,
    deviceCode: state.ids.deviceCode(),
    deviceLabel: call.body.device_label as string,
    expiresUs: now + state.knobs.expires_in_s * 1e6,
    ip: call.ip,
    payload: null,
    polls: 0,
    status: 'pending',
    tokenId: null,
    userCode,
  })
  if (state.knobs.auto_decide?.after_polls === 0) autoDecide(state, record)
  return jsonReply(200, {
    device_code: record.deviceCode,
    expires_in: state.knobs.expires_in_s,
    interval: state.knobs.interval_s,
    user_code: record.userCode,
    verification_uri: `${state.knobs.verification_base ?? origin}/device`,
  })
}

/** `POST oauth/device/token` (protocol §4.2). Synchronous on purpose: read-and-delete is atomic. */
export function pollToken(state: EmulatorState, call: Call): Reply {
  const details = requireStrings(call.body, ['client_id', 'device_code'])
  if (details.length > 0) return badRequest(details)
  const deviceCode = call.body.device_code as string
  const now = state.clock.nowUs()
  const previous = state.devices.swapPollMark(deviceCode, now, state.knobs.expires_in_s)

  // Counting polls (for the control API and auto_decide) is emulator bookkeeping, invisible on the wire.
  const counted = state.devices.live(deviceCode)
  if (counted) {
    counted.polls++
    const rule = state.knobs.auto_decide
    if (rule && rule.after_polls > 0 && counted.polls === rule.after_polls) autoDecide(state, counted)
  }

  if (previous !== undefined && now - previous < state.knobs.interval_s * 1e6) return RFC(400, 'slow_down')
  const record = state.devices.live(deviceCode)
  if (!record) return RFC(400, 'expired_token')
  if (record.status === 'pending') return RFC(400, 'authorization_pending')
  state.devices.remove(record)
  if (record.status === 'denied') return RFC(400, 'access_denied')
  return jsonReply(200, record.payload)
}

/** `GET oauth/device/lookup` (protocol §4.5); never reveals the device label. */
export function lookupCode(state: EmulatorState, call: Call): Reply {
  if (!state.limiter.take(`lookup:${call.ip}`, state.knobs.rate_limits.lookup).ok) return rateLimited()
  const raw = call.query.get('user_code')
  if (raw === null) return badRequest([{loc: ['user_code'], msg: 'Field required', type: 'missing'}])
  const record = state.devices.liveByUserCode(normalizeUserCode(raw))
  if (!record) return jsonReply(200, {client_id: null, expires_in_remaining: 0, valid: false})
  if (record.status !== 'pending') return jsonReply(200, {client_id: record.clientId, expires_in_remaining: 0, valid: false})
  return jsonReply(200, {client_id: record.clientId, expires_in_remaining: state.knobs.expires_in_s, valid: true})
}

/** Resolves `latest` (control API only) or a user code to the code an operation should act on. */
export function resolveUserCode(state: EmulatorState, input: string, allowLatest: boolean): string {
  if (allowLatest && input.trim().toLowerCase() === 'latest') return state.devices.latest()?.userCode ?? ''
  return normalizeUserCode(input)
}

/**
 * The approve logic of protocol §4.5 after session, feature and rate checks: 404/409 answers, the
 * per-code lock, an optional latency, then minting. Shared by the API, the page and the control API.
 */
export async function approve(state: EmulatorState, userCode: string, approver: Approver): Promise<DecisionOutcome> {
  const record = state.devices.liveByUserCode(userCode)
  if (!record) return {reply: RFC(404, 'expired_or_unknown')}
  if (record.status !== 'pending') return {reply: RFC(409, 'already_resolved')}
  if (state.approvesInProgress.has(record.deviceCode)) return {reply: RFC(409, 'approve_in_progress')}
  state.approvesInProgress.add(record.deviceCode)
  try {
    await state.sleep(state.knobs.approve_latency_ms)
    const current = state.devices.live(record.deviceCode)
    if (current !== record) return {reply: RFC(409, 'state_lost')}
    if (current.status !== 'pending') return {reply: RFC(409, 'already_resolved')}
    const tokenId = approveNow(state, current, approver)
    return {reply: jsonReply(200, {status: 'approved'}), tokenId}
  } finally {
    state.approvesInProgress.delete(record.deviceCode)
  }
}

export function deny(state: EmulatorState, userCode: string): DecisionOutcome {
  const record = state.devices.liveByUserCode(userCode)
  if (!record) return {reply: RFC(404, 'expired_or_unknown')}
  if (record.status !== 'pending') return {reply: RFC(409, 'already_resolved')}
  denyNow(state, record)
  return {reply: jsonReply(200, {status: 'denied'})}
}

/** Mints the token and freezes the payload (protocol §4.3); the session row exists from now on. */
function approveNow(state: EmulatorState, record: DeviceRecord, approver: Approver): string {
  const now = state.clock.nowUs()
  const expiresUs = now + state.knobs.token_ttl_s * 1e6
  const subject: Subject =
    approver.kind === 'account'
      ? {accountId: approver.account.id, email: approver.account.email, issuer: null, name: approver.account.name, type: 'account'}
      : {accountId: null, email: approver.email, issuer: approver.issuer, name: null, type: 'external_sso'}
  const {row, token} = state.sessions.mint({
    clientId: record.clientId,
    createdUs: now,
    deviceLabel: record.deviceLabel,
    expiresUs,
    nowUs: now,
    subject,
  })
  const expiresAt = formatTimestamp(expiresUs, '+00:00')
  if (approver.kind === 'account') {
    const {account} = approver
    record.payload = {
      token,
      expires_at: expiresAt,
      subject_type: 'account',
      account: {id: account.id, email: account.email, name: account.name},
      workspaces: account.workspaces.map((w) => ({id: w.id, name: w.name, role: w.role})),
      default_workspace_id: defaultWorkspace(account, approver.workspaceId)?.id ?? null,
      token_id: row.id,
    }
  } else {
    record.payload = {
      token,
      expires_at: expiresAt,
      subject_type: 'external_sso',
      subject_email: approver.email,
      subject_issuer: approver.issuer,
      account: null,
      workspaces: [],
      default_workspace_id: null,
      token_id: row.id,
    }
  }

  record.status = 'approved'
  record.tokenId = row.id
  record.expiresUs = Math.max(record.expiresUs, now + 60e6)
  return row.id
}

function denyNow(state: EmulatorState, record: DeviceRecord): void {
  record.status = 'denied'
  record.expiresUs = Math.max(record.expiresUs, state.clock.nowUs() + 1e6)
}

/** `auto_decide` (protocol §12.2); silently does what a person at the page would have done. */
function autoDecide(state: EmulatorState, record: DeviceRecord): void {
  const rule = state.knobs.auto_decide
  if (!rule || record.status !== 'pending' || state.approvesInProgress.has(record.deviceCode)) return
  if (rule.action === 'deny') {
    denyNow(state, record)
    return
  }

  if (!state.knobs.bearer_enabled) {
    state.logger('auto_decide: bearer feature disabled, leaving the code pending')
    return
  }

  const account = rule.account ? state.findAccount(rule.account) : state.demoAccount()
  if (!account) {
    state.logger(`auto_decide: no configured account ${rule.account}, leaving the code pending`)
    return
  }

  approveNow(state, record, {account, kind: 'account', workspaceId: null})
}
