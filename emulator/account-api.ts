import {defaultWorkspace} from './config.js'
import {errorReply, jsonReply} from './http-io.js'
import type {Call, Detail, Reply} from './http-io.js'
import type {SessionRow} from './session-store.js'
import type {EmulatorState} from './state.js'
import {formatTimestamp} from './time-format.js'

export const WWW_AUTHENTICATE = {'WWW-Authenticate': 'Bearer realm="api"'}

export function unauthorized(message: string): Reply {
  return errorReply(401, {message}, WWW_AUTHENTICATE)
}

type Auth = {ok: true; row: SessionRow} | {ok: false; reply: Reply}

function invalidBearer(state: EmulatorState): Reply {
  return state.knobs.invalid_bearer_status === 500 ? errorReply(500) : unauthorized('invalid bearer')
}

/**
 * Protocol §1.2 step 4 up to the token type: header → token → per-token rate limit. An expired
 * token is revoked for good on the request that presents it.
 */
export function authenticate(state: EmulatorState, call: Call): Auth {
  const header = call.headers.authorization
  const trimmed = typeof header === 'string' ? header.trim() : ''
  const space = trimmed.search(/\s/)
  const scheme = space < 0 ? trimmed : trimmed.slice(0, space)
  const token = space < 0 ? '' : trimmed.slice(space + 1).trim()
  if (scheme.toLowerCase() !== 'bearer' || token === '') return {ok: false, reply: unauthorized('bearer required')}
  if (!token.startsWith('dfoa_') && !token.startsWith('dfoe_')) return {ok: false, reply: invalidBearer(state)}
  const row = state.sessions.byToken(token)
  if (!row || row.revokedUs !== null) return {ok: false, reply: invalidBearer(state)}
  const now = state.clock.nowUs()
  if (row.expiresUs <= now) {
    state.sessions.revoke(row, 'expiry', now)
    return {ok: false, reply: invalidBearer(state)}
  }

  const verdict = state.limiter.take(`per_token:${row.id}`, state.knobs.rate_limits.per_token)
  if (!verdict.ok) return {ok: false, reply: errorReply(429, {message: 'rate_limited'}, {'Retry-After': String(verdict.retryAfterS)})}
  return {ok: true, row}
}

/** Authentication plus the `account/*` token-type rule (dfoe_ → 403). */
export function authenticateAccount(state: EmulatorState, call: Call): Auth {
  const auth = authenticate(state, call)
  if (!auth.ok) return auth
  if (auth.row.subject.type !== 'account') {
    return {ok: false, reply: errorReply(403, {message: 'unsupported_token_type'})}
  }

  return auth
}

const INT = /^[+-]?\d+$/

function parseIntParam(name: string, raw: string | null, fallback: number, min: number, max: number | null, details: Detail[]): number {
  if (raw === null) return fallback
  if (!INT.test(raw.trim())) {
    details.push({loc: [name], msg: 'Input should be a valid integer, unable to parse string as an integer', type: 'int_parsing'})
    return fallback
  }

  const value = Number(raw.trim())
  if (value < min) details.push({loc: [name], msg: `Input should be greater than or equal to ${min}`, type: 'greater_than_equal'})
  else if (max !== null && value > max) details.push({loc: [name], msg: `Input should be less than or equal to ${max}`, type: 'less_than_equal'})
  return value
}

function sessionView(row: SessionRow): Record<string, unknown> {
  return {
    id: row.id,
    prefix: row.prefix,
    client_id: row.clientId,
    device_label: row.deviceLabel,
    created_at: formatTimestamp(row.createdUs, 'Z'),
    last_used_at: row.lastUsedUs === null ? null : formatTimestamp(row.lastUsedUs, 'Z'),
    expires_at: formatTimestamp(row.expiresUs, 'Z'),
  }
}

/** `GET account/sessions` (protocol §6.1). */
export function listSessions(state: EmulatorState, call: Call): Reply {
  const auth = authenticateAccount(state, call)
  if (!auth.ok) return auth.reply
  const details: Detail[] = []
  // Like the server's query model, the last occurrence of a repeated parameter wins.
  const last = (name: string): string | null => {
    const all = call.query.getAll(name)
    return all.length === 0 ? null : all[all.length - 1]
  }

  const page = parseIntParam('page', last('page'), 1, 1, null, details)
  const limit = parseIntParam('limit', last('limit'), 100, 1, 200, details)
  const extras = new Set<string>()
  for (const key of call.query.keys()) if (key !== 'page' && key !== 'limit') extras.add(key)
  for (const key of extras) details.push({loc: [key], msg: 'Extra inputs are not permitted', type: 'extra_forbidden'})
  if (details.length > 0) return errorReply(422, {details, message: 'Request validation failed'})
  const rows = state.sessions.activeForAccount(auth.row.subject.accountId as string, state.clock.nowUs())
  const start = (page - 1) * limit
  return jsonReply(200, {
    page,
    limit,
    total: rows.length,
    has_more: page * limit < rows.length,
    data: start >= rows.length ? [] : rows.slice(start, start + limit).map(sessionView),
  })
}

const NOT_FOUND_SESSION = (): Reply => errorReply(404, {message: 'session not found'})

/** `DELETE account/sessions/self` and `DELETE account/sessions/{session_id}` (protocol §6.2). */
export function revokeSession(state: EmulatorState, call: Call, sessionId: string | null): Reply {
  const auth = authenticateAccount(state, call)
  if (!auth.ok) return auth.reply
  const now = state.clock.nowUs()
  if (sessionId === null) {
    state.sessions.revoke(auth.row, 'self', now)
    return jsonReply(200, {status: 'revoked'})
  }

  // Ownership ignores revocation and expiry, so a repeat is an idempotent 200.
  const row = state.sessions.get(sessionId)
  if (!row || row.subject.accountId !== auth.row.subject.accountId) return NOT_FOUND_SESSION()
  state.sessions.revoke(row, 'id', now)
  return jsonReply(200, {status: 'revoked'})
}

/** `GET account` (protocol §6.3). */
export function getAccount(state: EmulatorState, call: Call): Reply {
  const auth = authenticateAccount(state, call)
  if (!auth.ok) return auth.reply
  const {subject} = auth.row
  const accountId = subject.accountId as string
  if (!state.limiter.take(`account:${accountId}`, state.knobs.rate_limits.account).ok) return errorReply(429, {message: 'rate_limited'})
  const configured = state.accounts.find((a) => a.id === accountId)
  const account = configured ?? {email: subject.email, id: accountId, name: subject.name ?? '', workspaces: []}
  return jsonReply(200, {
    subject_type: 'account',
    subject_email: account.email,
    subject_issuer: null,
    account: {id: account.id, email: account.email, name: account.name},
    workspaces: account.workspaces.map((w) => ({id: w.id, name: w.name, role: w.role})),
    default_workspace_id: defaultWorkspace(account)?.id ?? null,
  })
}
