import {ConfigError} from './config.js'
import type {Account} from './config.js'
import {approve, deny, resolveUserCode} from './device-flow.js'
import {parseFault} from './faults.js'
import type {Approver} from './device-flow.js'
import {errorReply, jsonReply} from './http-io.js'
import type {Call, Reply} from './http-io.js'
import type {SessionRow, Subject} from './session-store.js'
import type {EmulatorState} from './state.js'
import {formatTimestamp, parseTimestamp} from './time-format.js'

export const CONTROL_PREFIX = '/_emulator'

/** Control API bodies are JSON whatever the Content-Type says; a malformed one is a 400. */
function controlBody(call: Call): unknown {
  if (call.rawBody.trim() === '') return {}
  try {
    return JSON.parse(call.rawBody) as unknown
  } catch {
    throw new ConfigError('the request body is not valid JSON')
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function objectBody(call: Call): Record<string, unknown> {
  const body = controlBody(call)
  if (!isObject(body)) throw new ConfigError('the request body must be a JSON object')
  return body
}

function ok(json: unknown = {ok: true}): Reply {
  return jsonReply(200, json)
}

function optionalTime(name: string, value: unknown): number | null | undefined {
  if (value === undefined) return undefined
  if (value === null) return null
  if (typeof value !== 'string') throw new ConfigError(`${name} must be an ISO 8601 timestamp with a zone`)
  const us = parseTimestamp(value)
  if (us === null) throw new ConfigError(`${name} must be an ISO 8601 timestamp with a zone, got "${value}"`)
  return us
}

/** A row of `GET /_emulator/sessions`. */
export interface ControlSessionView {
  id: string
  prefix: 'dfoa_' | 'dfoe_'
  subject_type: 'account' | 'external_sso'
  account_id: string | null
  subject_email: string
  subject_issuer: string | null
  client_id: string
  device_label: string
  created_at: string
  last_used_at: string | null
  expires_at: string
  revoked_at: string | null
  revoked_by: 'self' | 'id' | 'rotation' | 'expiry' | null
}

/** A row of `GET /_emulator/device-codes`. */
export interface ControlDeviceCodeView {
  device_code: string
  user_code: string
  client_id: string
  device_label: string
  status: 'pending' | 'approved' | 'denied'
  polls: number
  expires_at: string
  created_at: string
  token_id: string | null
}

export interface ClockView {
  now: string
  offset_s: number
}

function sessionRowView(row: SessionRow): ControlSessionView {
  const time = (us: number | null): string | null => (us === null ? null : formatTimestamp(us, 'Z'))
  const z = (us: number): string => formatTimestamp(us, 'Z')
  return {
    id: row.id,
    prefix: row.prefix,
    subject_type: row.subject.type,
    account_id: row.subject.accountId,
    subject_email: row.subject.email,
    subject_issuer: row.subject.issuer,
    client_id: row.clientId,
    device_label: row.deviceLabel,
    created_at: z(row.createdUs),
    last_used_at: time(row.lastUsedUs),
    expires_at: z(row.expiresUs),
    revoked_at: time(row.revokedUs),
    revoked_by: row.revokedBy,
  }
}

interface SeedPlan {
  subject: Subject
  clientId: string
  deviceLabel: string | null
  createdUs: number | undefined
  lastUsedUs: number | null | undefined
  expiresUs: number | undefined
}

function planSeed(state: EmulatorState, raw: unknown, at: string): SeedPlan {
  if (!isObject(raw)) throw new ConfigError(`${at} must be an object`)
  const allowed = ['account_email', 'email', 'issuer', 'client_id', 'device_label', 'created_at', 'last_used_at', 'expires_at']
  for (const key of Object.keys(raw)) if (!allowed.includes(key)) throw new ConfigError(`${at}: unknown member "${key}"`)
  let subject: Subject
  const sso = isObject(raw.account_email) ? raw.account_email : raw.email === undefined ? null : raw
  if (typeof raw.account_email === 'string') {
    const account = state.findAccount(raw.account_email)
    if (!account) throw new ConfigError(`${at}: no configured account ${raw.account_email}`)
    subject = {accountId: account.id, email: account.email, issuer: null, name: account.name, type: 'account'}
  } else if (sso) {
    if (typeof sso.email !== 'string' || typeof sso.issuer !== 'string') throw new ConfigError(`${at}: an SSO subject needs email and issuer strings`)
    subject = {accountId: null, email: sso.email, issuer: sso.issuer, name: null, type: 'external_sso'}
  } else {
    throw new ConfigError(`${at}: give account_email (a configured account) or {email, issuer} (external SSO)`)
  }

  for (const name of ['client_id', 'device_label'] as const) {
    if (raw[name] !== undefined && typeof raw[name] !== 'string') throw new ConfigError(`${at}.${name} must be a string`)
  }

  return {
    clientId: (raw.client_id as string | undefined) ?? 'difyctl',
    createdUs: optionalTime(`${at}.created_at`, raw.created_at) ?? undefined,
    deviceLabel: (raw.device_label as string | undefined) ?? null,
    expiresUs: optionalTime(`${at}.expires_at`, raw.expires_at) ?? undefined,
    lastUsedUs: optionalTime(`${at}.last_used_at`, raw.last_used_at),
    subject,
  }
}

/**
 * `POST /_emulator/sessions`: one object → `{id, token}`, an array → an array of those (all
 * validated before any is created). Seeding applies rotation like a real login, so rows meant to
 * coexist need distinct labels; an omitted label is made unique.
 */
function seedSessions(state: EmulatorState, call: Call): Reply {
  const body = controlBody(call)
  const list = Array.isArray(body) ? body : [body]
  const plans = list.map((raw, i) => planSeed(state, raw, Array.isArray(body) ? `sessions[${i}]` : 'session'))
  const now = state.clock.nowUs()
  const results = plans.map((plan) => {
    const createdUs = plan.createdUs ?? now
    const {row, token} = state.sessions.mint({
      clientId: plan.clientId,
      createdUs,
      deviceLabel: plan.deviceLabel ?? `seeded session ${++state.seededLabels}`,
      expiresUs: plan.expiresUs ?? Math.max(now, createdUs) + state.knobs.token_ttl_s * 1e6,
      lastUsedUs: plan.lastUsedUs ?? null,
      nowUs: now,
      subject: plan.subject,
    })
    return {id: row.id, token}
  })
  return ok(Array.isArray(body) ? results : results[0])
}

function userCodeOf(body: Record<string, unknown>): string {
  if (typeof body.user_code !== 'string') throw new ConfigError('user_code must be a string (a code or "latest")')
  return body.user_code
}

async function controlApprove(state: EmulatorState, call: Call, sso: boolean): Promise<Reply> {
  // §4.5 order without the browser session and the rate limit: feature switch, then body.
  if (!state.knobs.bearer_enabled) return errorReply(503)
  const body = objectBody(call)
  const raw = userCodeOf(body)
  let approver: Approver
  if (sso) {
    if (typeof body.email !== 'string' || typeof body.issuer !== 'string') throw new ConfigError('approve-sso needs email and issuer strings')
    approver = {email: body.email, issuer: body.issuer, kind: 'sso'}
  } else {
    const email = typeof body.account_email === 'string' ? body.account_email : null
    const account: Account | undefined = email === null ? state.demoAccount() : state.findAccount(email)
    if (!account) throw new ConfigError(`no configured account ${email}`)
    if (body.workspace_id !== undefined && body.workspace_id !== null && typeof body.workspace_id !== 'string') {
      throw new ConfigError('workspace_id must be a string')
    }

    approver = {account, kind: 'account', workspaceId: (body.workspace_id as string | null | undefined) ?? null}
  }

  const outcome = await approve(state, resolveUserCode(state, raw, true), approver)
  return outcome.tokenId === undefined ? outcome.reply : ok({token_id: outcome.tokenId})
}

function controlDeny(state: EmulatorState, call: Call): Reply {
  if (!state.knobs.bearer_enabled) return errorReply(503)
  const raw = userCodeOf(objectBody(call))
  return deny(state, resolveUserCode(state, raw, true)).reply
}

function clockView(state: EmulatorState): Reply {
  return ok({now: formatTimestamp(state.clock.nowUs(), 'Z'), offset_s: state.clock.offsetSeconds()})
}

function moveClock(state: EmulatorState, call: Call): Reply {
  const body = objectBody(call)
  if (body.advance_s !== undefined) {
    if (typeof body.advance_s !== 'number' || !Number.isFinite(body.advance_s)) throw new ConfigError('advance_s must be a number of seconds')
    state.clock.advance(body.advance_s)
  } else if (body.now !== undefined) {
    const us = typeof body.now === 'string' ? parseTimestamp(body.now) : null
    if (us === null) throw new ConfigError('now must be an ISO 8601 timestamp with a zone')
    state.clock.set(us)
  } else {
    throw new ConfigError('give {"advance_s": n} or {"now": "<iso>"}')
  }

  return clockView(state)
}

async function route(state: EmulatorState, call: Call): Promise<Reply> {
  const path = call.path.slice(CONTROL_PREFIX.length).replace(/\/+$/, '')
  switch (`${call.method} ${path}`) {
    case 'POST /reset': {
      const body = objectBody(call)
      state.reset({config: body.config === true})
      return ok()
    }

    case 'GET /config': {
      return ok(state.knobs)
    }

    case 'PATCH /config': {
      return ok(state.patchKnobs(controlBody(call)))
    }

    case 'GET /accounts': {
      return ok(state.accounts)
    }

    case 'PUT /accounts': {
      return ok(state.setAccounts(controlBody(call)))
    }

    case 'GET /device-codes': {
      return ok(
        state.devices
          .all()
          .sort((a, b) => a.seq - b.seq)
          .map((r): ControlDeviceCodeView => ({
            device_code: r.deviceCode,
            user_code: r.userCode,
            client_id: r.clientId,
            device_label: r.deviceLabel,
            status: r.status,
            polls: r.polls,
            expires_at: formatTimestamp(r.expiresUs, 'Z'),
            created_at: formatTimestamp(r.createdUs, 'Z'),
            token_id: r.tokenId,
          })),
      )
    }

    case 'POST /device-codes/approve': {
      return controlApprove(state, call, false)
    }

    case 'POST /device-codes/approve-sso': {
      return controlApprove(state, call, true)
    }

    case 'POST /device-codes/deny': {
      return controlDeny(state, call)
    }

    case 'GET /sessions': {
      return ok(state.sessions.all().map(sessionRowView))
    }

    case 'POST /sessions': {
      return seedSessions(state, call)
    }

    case 'GET /faults': {
      return ok(state.faults.list())
    }

    case 'POST /faults': {
      const body = controlBody(call)
      const list: unknown[] = Array.isArray(body) ? body : [body]
      // All or nothing: validate every fault before arming any.
      for (const fault of list) parseFault(fault, 0)
      const added = list.map((f) => state.faults.add(f))
      return ok(Array.isArray(body) ? added : added[0])
    }

    case 'DELETE /faults': {
      state.faults.clear()
      return ok()
    }

    case 'GET /requests': {
      return ok(state.requests.list())
    }

    case 'DELETE /requests': {
      state.requests.clear()
      return ok()
    }

    case 'GET /clock': {
      return clockView(state)
    }

    case 'POST /clock': {
      return moveClock(state, call)
    }

    default: {
      return errorReply(404, {message: `no control endpoint ${call.method} ${call.path}`})
    }
  }
}

/** `/_emulator/*` (protocol §12.3): no auth, no limits, not logged, outside §9/§10. */
export async function handleControl(state: EmulatorState, call: Call): Promise<Reply> {
  try {
    return await route(state, call)
  } catch (error) {
    if (error instanceof ConfigError) return errorReply(400, {message: error.message})
    throw error
  }
}
