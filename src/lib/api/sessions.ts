import {DifyError} from '../errors/dify-error.js'
import type {HttpClient} from './http-client.js'
import {parseRetryAfter} from './retry-after.js'

/**
 * The account's server-side sessions (protocol §6): one page, every page, and revokes. Shapes are
 * checked here so that behaviours never see a half-valid row; unknown members are ignored.
 */

/** One session as the server lists it; the strings are kept exactly as received. */
export interface SessionRecord {
  id: string
  prefix: string
  client_id: string
  device_label: string
  created_at: string
  last_used_at: string | null
  expires_at: string | null
}

export interface SessionPage {
  page: number
  limit: number
  total: number
  has_more: boolean
  data: SessionRecord[]
}

/** Page sizes the server accepts (§6.1); difyctl checks them before sending. */
export const MIN_LIMIT = 1
export const MAX_LIMIT = 200

/**
 * Fetch-all stops after this many pages even when the server keeps saying `has_more`: 500 pages of
 * 200 is 100 000 sessions, far beyond any real account, and an endless walk must end (F14).
 */
export const MAX_PAGES = 500

// ISO 8601 UTC in either spelling the protocol uses (§3): `Z` or a `+00:00`-style offset, with or
// without fractional seconds. Other offsets are accepted too and converted.
const TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/i

/** Milliseconds since the epoch, or undefined when the text is not a timestamp of the protocol's form. */
export function parseTimestamp(text: string): number | undefined {
  const match = TIMESTAMP.exec(text)
  if (!match) return undefined
  const [, year, month, day, hour, minute, second, fraction, zone] = match
  const ms = Date.UTC(Number(year), Number(month) - 1, Number(day), Number(hour), Number(minute), Number(second), Number((fraction ?? '0').padEnd(3, '0').slice(0, 3)))
  const check = new Date(ms)
  // Date.UTC rolls 2026-02-31 over into March; a real server never sends that, so it is malformed.
  if (check.getUTCDate() !== Number(day) || check.getUTCHours() !== Number(hour) || Number(second) > 59) return undefined
  if (zone.toUpperCase() === 'Z') return ms
  const sign = zone.startsWith('-') ? -1 : 1
  const offsetMinutes = Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4, 6))
  return ms - sign * offsetMinutes * 60_000
}

/** `2026-06-02T09:14:31Z`: UTC to the second, as the command reference shows sessions. */
export function displayTimestamp(text: string): string {
  const ms = parseTimestamp(text)
  return ms === undefined ? text : new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z')
}

function malformed(what: string, host: string): DifyError {
  return new DifyError('bad_response', `${host} answered GET account/sessions with an unexpected body: ${what}`, {
    hint: 'check that the host is the console API URL of Dify 1.18 or later',
  })
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function isCount(value: unknown, min: number): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= min
}

function readRow(value: unknown, index: number, host: string): SessionRecord {
  const where = `data[${index}]`
  if (!isObject(value)) throw malformed(`${where} is not an object`, host)
  const text = (key: string, required: boolean): string => {
    const member = value[key]
    if (member === undefined && !required) return ''
    if (typeof member !== 'string' || (required && member === '')) throw malformed(`${where}.${key} is not a ${required ? 'non-empty ' : ''}string`, host)
    return member
  }

  const time = (key: string, required: boolean): string | null => {
    const member = value[key]
    if ((member === null || member === undefined) && !required) return null
    if (typeof member !== 'string' || parseTimestamp(member) === undefined) throw malformed(`${where}.${key} is not an ISO 8601 timestamp`, host)
    return member
  }

  return {
    client_id: text('client_id', false),
    created_at: time('created_at', true) as string,
    device_label: text('device_label', false),
    expires_at: time('expires_at', false),
    id: text('id', true),
    last_used_at: time('last_used_at', false),
    prefix: text('prefix', false),
  }
}

/** Checks a 200 body of `GET account/sessions`. */
export function readSessionPage(body: unknown, host: string): SessionPage {
  if (!isObject(body)) throw malformed('not a JSON object', host)
  if (!isCount(body.page, 1)) throw malformed('page is not a positive integer', host)
  if (!isCount(body.limit, 1)) throw malformed('limit is not a positive integer', host)
  if (!isCount(body.total, 0)) throw malformed('total is not a non-negative integer', host)
  if (typeof body.has_more !== 'boolean') throw malformed('has_more is not a boolean', host)
  if (!Array.isArray(body.data)) throw malformed('data is not an array', host)
  return {
    data: body.data.map((row, index) => readRow(row, index, host)),
    has_more: body.has_more,
    limit: body.limit,
    page: body.page,
    total: body.total,
  }
}

function hostOf(client: HttpClient): string {
  return new URL(client.baseUrl).host
}

/** One page. `page` ≥ 1 and `limit` in 1..200 are the caller's to check (they are user input). */
export async function listSessionPage(client: HttpClient, query: {page: number; limit: number}, signal?: AbortSignal): Promise<SessionPage> {
  const response = await client.request({authenticated: true, method: 'GET', path: 'account/sessions', query: {limit: query.limit, page: query.page}, signal})
  return readSessionPage(response.body, hostOf(client))
}

export interface FetchAllOptions {
  /** Page size; the largest the server allows unless a test wants small pages. */
  limit?: number
  maxPages?: number
  signal?: AbortSignal
}

/**
 * Every session of the account (protocol §11.8): pages of `limit` until `has_more` is false. A
 * server that keeps paging without showing anything new — the same rows again, an empty page that
 * claims more, or more pages than any account has — ends the walk with `bad_response` instead of
 * looping (F14). Rows that reappear because sessions came or went between two pages are kept once.
 */
export async function fetchAllSessions(client: HttpClient, options: FetchAllOptions = {}): Promise<SessionRecord[]> {
  const limit = options.limit ?? MAX_LIMIT
  const maxPages = options.maxPages ?? MAX_PAGES
  const host = hostOf(client)
  const seen = new Map<string, SessionRecord>()
  const endless = (why: string) =>
    new DifyError('bad_response', `${host} kept paging GET account/sessions without end: ${why}; stopped after ${pageNumber} page(s)`, {
      hint: 'the server is misbehaving; tell its operator. Nothing was revoked.',
    })

  let pageNumber = 1
  for (;;) {
    const page = await listSessionPage(client, {limit, page: pageNumber}, options.signal)
    if (page.page !== pageNumber) throw endless(`asked for page ${pageNumber}, it answered page ${page.page}`)
    let fresh = 0
    for (const row of page.data) {
      if (!seen.has(row.id)) {
        seen.set(row.id, row)
        fresh += 1
      }
    }

    if (!page.has_more) return [...seen.values()]
    if (page.data.length === 0) throw endless(`page ${pageNumber} was empty yet has_more was true`)
    if (fresh === 0) throw endless(`page ${pageNumber} repeated rows already seen`)
    if (pageNumber >= maxPages) throw endless(`more than ${maxPages} pages`)
    pageNumber += 1
  }
}

export type RevokeAnswer = {outcome: 'revoked'} | {outcome: 'not_found'} | {outcome: 'rate_limited'; retryAfterS?: number}

/**
 * `DELETE account/sessions/{id}`. A 404 means the id is not a session of this account (or no longer
 * exists), so it is an answer, not a failure of the call. A 429 comes back as an answer too: a batch
 * of revokes paces itself on the server's `Retry-After` as a whole instead of each request waiting
 * on its own. Transport failures and 5xx are retried by the client (a revoke is idempotent).
 */
export async function revokeSessionById(client: HttpClient, id: string, options: {now: () => number; signal?: AbortSignal}): Promise<RevokeAnswer> {
  // URL parsing resolves `.` and `..` segments (even percent-encoded), so such an id would address
  // another route; ids are UUIDs, so one of these can only come from a misbehaving server.
  if (id === '.' || id === '..') {
    throw new DifyError('bad_response', `${hostOf(client)} listed a session id "${id}" that cannot be addressed; nothing was sent for it`)
  }

  const response = await client.request({
    acceptStatuses: [404, 429],
    authenticated: true,
    method: 'DELETE',
    path: `account/sessions/${encodeURIComponent(id)}`,
    signal: options.signal,
  })
  if (response.status === 404) return {outcome: 'not_found'}
  if (response.status === 429) return {outcome: 'rate_limited', retryAfterS: parseRetryAfter(response.headers['retry-after'], options.now())}
  return {outcome: 'revoked'}
}

/** `DELETE account/sessions/self`: the presenting token's own session. */
export async function revokeOwnSession(client: HttpClient, signal?: AbortSignal): Promise<void> {
  await client.request({authenticated: true, method: 'DELETE', path: 'account/sessions/self', signal})
}
