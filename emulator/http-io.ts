import {STATUS_CODES} from 'node:http'
import type {IncomingHttpHeaders, IncomingMessage, ServerResponse} from 'node:http'

/** What a handler decides; the server turns it into bytes. Exactly one of json/text is sent. */
export interface Reply {
  status: number
  json?: unknown
  text?: string
  contentType?: string
  headers?: Record<string, string>
}

/** One parsed request, as handlers see it. */
export interface Call {
  method: string
  /** Decoded path, e.g. `/openapi/v1/oauth/device/code`. */
  path: string
  /** The query string as sent, without `?`. */
  rawQuery: string
  query: URLSearchParams
  headers: IncomingHttpHeaders
  rawHeaders: string[]
  rawBody: string
  /** Parsed JSON object when Content-Type is JSON and the body parses to an object; else `{}`. */
  body: Record<string, unknown>
  ip: string
  cookies: Record<string, string>
}

export interface Detail {
  type: string
  loc: Array<string | number>
  msg: string
}

export interface ErrorBody {
  code: string
  message: string
  status: number
  hint?: string
  details?: Detail[]
}

const CODES: Record<number, string> = {
  400: 'bad_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  406: 'not_acceptable',
  409: 'conflict',
  413: 'request_entity_too_large',
  415: 'unsupported_media_type',
  422: 'invalid_param',
  426: 'upgrade_required',
  429: 'too_many_requests',
  500: 'internal_server_error',
  502: 'bad_gateway',
}

export function codeForStatus(status: number): string {
  return CODES[status] ?? 'unknown'
}

export function reasonPhrase(status: number): string {
  return STATUS_CODES[status] ?? 'Unknown'
}

/** ErrorBody of protocol §2.1: code derived from the status unless given; ≥ 500 hides the message. */
export function errorBody(status: number, options: {code?: string; message?: string; hint?: string; details?: Detail[]} = {}): ErrorBody {
  const body: ErrorBody = {
    code: options.code ?? codeForStatus(status),
    message: status >= 500 ? 'Internal Server Error' : (options.message ?? reasonPhrase(status)),
    status,
  }
  if (options.hint) body.hint = options.hint
  if (options.details && options.details.length > 0) body.details = options.details
  return body
}

export function errorReply(status: number, options: Parameters<typeof errorBody>[1] = {}, headers?: Record<string, string>): Reply {
  return {headers, json: errorBody(status, options), status}
}

export function jsonReply(status: number, json: unknown, headers?: Record<string, string>): Reply {
  return {headers, json, status}
}

export function htmlReply(status: number, html: string, headers?: Record<string, string>): Reply {
  return {contentType: 'text/html; charset=utf-8', headers, status, text: html}
}

export function parseCookies(header: string | undefined): Record<string, string> {
  const cookies: Record<string, string> = {}
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=')
    if (eq <= 0) continue
    const name = part.slice(0, eq).trim()
    const value = part.slice(eq + 1).trim()
    if (name && !(name in cookies)) cookies[name] = value
  }

  return cookies
}

export class BodyTooLarge extends Error {}

export async function readRawBody(req: IncomingMessage, maxBytes: number): Promise<string> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req) {
    size += (chunk as Buffer).length
    if (size > maxBytes) throw new BodyTooLarge()
    chunks.push(chunk as Buffer)
  }

  return Buffer.concat(chunks).toString('utf8')
}

export function isJsonContentType(value: string | undefined): boolean {
  if (!value) return false
  const media = value.split(';')[0].trim().toLowerCase()
  return media === 'application/json' || /^application\/[\w.+-]+\+json$/.test(media)
}

/**
 * Protocol §1: an absent or non-JSON body counts as `{}`. Like the server's framework, the body is
 * only read as JSON when the request says it is JSON.
 */
export function parseJsonObject(raw: string, contentType: string | undefined): Record<string, unknown> {
  if (!isJsonContentType(contentType) || raw.trim() === '') return {}
  try {
    const parsed: unknown = JSON.parse(raw)
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : {}
  } catch {
    return {}
  }
}

export function send(res: ServerResponse, reply: Reply): void {
  if (res.headersSent || res.destroyed) return
  let payload = ''
  let contentType = reply.contentType
  if (reply.text !== undefined) {
    payload = reply.text
    contentType ??= 'text/plain; charset=utf-8'
  } else if (reply.json !== undefined) {
    payload = JSON.stringify(reply.json)
    contentType ??= 'application/json'
  }

  const headers: Record<string, string | number> = {}
  if (contentType !== undefined && (reply.text !== undefined || reply.json !== undefined)) headers['Content-Type'] = contentType
  headers['Content-Length'] = Buffer.byteLength(payload)
  headers['Cache-Control'] = 'no-store'
  Object.assign(headers, reply.headers ?? {})
  res.writeHead(reply.status, headers)
  res.end(payload)
}

export function escapeHtml(value: unknown): string {
  return String(value)
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;')
}
