import {DifyError} from '../errors/dify-error.js'
import {formatWait} from './retry-after.js'

/**
 * Turns HTTP outcomes into DifyErrors: `errorForStatus` for an answer the caller cannot use,
 * `errorForTransport` for a request that got no answer. Neither ever puts a token into a message,
 * a hint, the HTTP facts or the cause.
 *
 * | status                         | code                   |
 * |--------------------------------|------------------------|
 * | 2xx with a body that isn't JSON | bad_response           |
 * | 3xx not followed               | bad_response           |
 * | 400                            | bad_response           |
 * | 401                            | auth_expired           |
 * | 403 on an account route, or message `unsupported_token_type` | unsupported_token_type |
 * | 403 otherwise                  | bad_response           |
 * | 404, 405                       | unsupported_endpoint   |
 * | 422                            | usage_error            |
 * | 426                            | upgrade_required       |
 * | 429                            | rate_limited           |
 * | 5xx                            | server_error           |
 * | any other                      | bad_response           |
 */
export interface StatusErrorInput {
  status: number
  method: string
  url: URL
  /** The response body as received; parsed here. */
  body: string
  /** The request carried the bearer token (an account route). */
  authenticated?: boolean
  /** The host's base URL, for the sign-in hint. */
  baseUrl?: string
  /** How many times the request was sent (retried 5xx). */
  attempts?: number
  /** 429: the wait the server advised, in seconds. */
  retryAfterS?: number
  /** 429: how many advised waits difyctl already sat through. */
  rateLimitWaits?: number
  /** Redacted from anything echoed back, on top of the token patterns. */
  token?: string
}

export function errorForStatus(input: StatusErrorInput): DifyError {
  const {status, url} = input
  const server = readBody(input.body, input.token)
  const http = {
    method: input.method,
    server: server.json ?? server.excerpt,
    status,
    url: displayUrl(url),
  }
  const host = url.host
  const said = serverSays(server)
  const answered = `${host} answered HTTP ${status}${said ? `: ${said}` : ''}`

  if (status >= 200 && status < 300) {
    return new DifyError('bad_response', `${host} answered HTTP ${status} with a body that is not JSON${said ? `: ${said}` : ''}`, {
      hint: 'check that the host is the Dify console API URL; a web page answers with HTML',
      http,
    })
  }

  if (status === 401) {
    const message = input.authenticated
      ? `${host} rejected the stored token (revoked, expired, or replaced by a newer sign-in)`
      : `${host} answered HTTP 401 (unauthorized)`
    return new DifyError('auth_expired', message, {hint: `sign in again: ${loginCommand(input.baseUrl ?? url.origin)}`, http})
  }

  if (status === 403) {
    if (input.authenticated || messageOf(server.json) === 'unsupported_token_type') {
      return new DifyError('unsupported_token_type', `${host} does not accept this kind of token here (HTTP 403); external-SSO sign-ins cannot use account endpoints`, {
        hint: `sign in with a Dify account: ${loginCommand(input.baseUrl ?? url.origin)}`,
        http,
      })
    }

    return new DifyError('bad_response', answered, {http})
  }

  if (status === 404 || status === 405) {
    return new DifyError('unsupported_endpoint', `${host} has no endpoint ${input.method} ${url.pathname} (HTTP ${status})`, {
      hint: 'check that the host is the console API URL of Dify 1.18 or later, with OpenAPI and OAuth bearer sign-in enabled',
      http,
    })
  }

  if (status === 426) {
    const message = messageOf(server.json) ?? `${host} requires a newer difyctl (HTTP 426)`
    return new DifyError('upgrade_required', message, {hint: hintOf(server.json) ?? 'upgrade difyctl to the latest version', http})
  }

  if (status === 429) return rateLimited(input, http)

  if (status >= 500) {
    const tries = input.attempts && input.attempts > 1 ? ` after ${input.attempts} attempts` : ''
    return new DifyError('server_error', `${host} answered HTTP ${status}${tries}${said ? `: ${said}` : ''}`, {
      hint: 'the server is failing; try again later, and tell its operator if it persists',
      http,
    })
  }

  if (status === 422) return new DifyError('usage_error', `${host} rejected a parameter: ${said || `HTTP ${status}`}`, {http})

  if (status >= 300 && status < 400) {
    return new DifyError('bad_response', `${host} answered with a redirect (HTTP ${status}) that difyctl does not follow`, {http})
  }

  return new DifyError('bad_response', answered, {http})
}

function rateLimited(input: StatusErrorInput, http: DifyError['http']): DifyError {
  const host = input.url.host
  const wait = input.retryAfterS
  if (wait === undefined) {
    return new DifyError('rate_limited', `rate limited by ${host} (HTTP 429); the server did not say for how long`, {
      hint: 'wait a while and try again',
      http,
    })
  }

  const waited = input.rateLimitWaits ? `still limited after waiting ${input.rateLimitWaits} time${input.rateLimitWaits === 1 ? '' : 's'}; ` : ''
  return new DifyError('rate_limited', `rate limited by ${host} (HTTP 429): ${waited}server asked to wait ${formatWait(wait)}`, {
    hint: `try again in ${formatWait(wait).replace(/^\d+s \((.*)\)$/, '$1')}`,
    http,
  })
}

export interface TransportErrorInput {
  error: unknown
  method: string
  url: URL
  /** The proxy the request went through, if any, and the variable that named it. */
  proxy?: {proxy: URL; variable: string}
  /** How many times the request was sent. */
  attempts?: number
  timeoutMs: number
}

const TLS_CODE = /CERT|SSL|TLS|UNABLE_TO_(GET|VERIFY)|DEPTH_ZERO|SELF_SIGNED|HOSTNAME_MISMATCH|ALTNAME/

/** A request that got no answer: timeout, TLS failure, or a network/proxy failure. */
export function errorForTransport(input: TransportErrorInput): DifyError {
  const {error, url} = input
  const code = errorCode(error)
  const detail = error instanceof Error ? error.message : String(error)
  const host = url.host
  const tries = input.attempts && input.attempts > 1 ? ` (${input.attempts} attempts)` : ''
  const http = {method: input.method, url: displayUrl(url)}
  // got's errors hold the request options, headers included; keep only what is safe to show.
  const cause = Object.assign(new Error(detail), {code})

  if (code === 'ETIMEDOUT' || (error instanceof Error && error.name === 'TimeoutError')) {
    const limit = input.timeoutMs < 1000 ? `${input.timeoutMs}ms` : formatWait(Math.round(input.timeoutMs / 1000))
    return new DifyError('timeout', `${host} did not answer within ${limit}${tries}`, {
      cause,
      hint: 'the server or the network is slow or down; try again later, and check your network/proxy settings',
      http,
    })
  }

  if (TLS_CODE.test(code ?? '') || /certificate|SSL routines|TLS/i.test(detail)) {
    return new DifyError('tls_error', `TLS connection to ${host} failed: ${detail}`, {
      cause,
      hint: 'if the server uses a certificate from a private CA, point NODE_EXTRA_CA_CERTS at that CA\'s PEM file',
      http,
    })
  }

  if (input.proxy) {
    const {proxy, variable} = input.proxy
    return new DifyError('network_error', `cannot reach ${host} through the proxy ${proxy.host} (from ${variable}): ${detail}${tries}`, {
      cause,
      hint: `check that the proxy is reachable and allows the request, or list ${url.hostname} in NO_PROXY`,
      http,
    })
  }

  const what =
    code === 'ENOTFOUND' || code === 'EAI_AGAIN'
      ? `cannot resolve ${url.hostname}`
      : code === 'ECONNREFUSED'
        ? `${host} refused the connection`
        : code === 'ECONNRESET' || code === 'EPIPE' || /socket hang up|premature close/i.test(detail)
          ? `the connection to ${host} was closed before an answer arrived`
          : `cannot reach ${host}: ${detail}`
  return new DifyError('network_error', `${what}${tries}`, {
    cause,
    hint: 'check the host and your network/proxy settings',
    http,
  })
}

/** The URL as it may be shown: no user info, no fragment, and query values only for known-harmless keys. */
export function displayUrl(url: URL): string {
  const shown = new URL(url.href)
  shown.username = ''
  shown.password = ''
  shown.hash = ''
  for (const key of [...new Set(shown.searchParams.keys())]) {
    if (!SHOWN_QUERY_KEYS.has(key)) shown.searchParams.set(key, 'REDACTED')
  }

  return shown.href
}

const SHOWN_QUERY_KEYS = new Set(['page', 'limit'])

export function loginCommand(baseUrl: string): string {
  return `difyctl auth login --host ${baseUrl}${baseUrl.startsWith('http:') ? ' --insecure' : ''}`
}

interface ReadBody {
  json?: unknown
  excerpt?: string
}

const TOKEN_PATTERN = /dfo[a-z]_[\w-]{8,}/g
const EXCERPT_LENGTH = 160

/** Parses a body as JSON, or reduces it to a short one-line excerpt; tokens are redacted either way. */
export function readBody(text: string, token?: string): ReadBody {
  let safe = text.replace(TOKEN_PATTERN, '[redacted]')
  if (token) safe = safe.split(token).join('[redacted]')
  if (safe.trim() === '') return {}
  try {
    return {json: JSON.parse(safe)}
  } catch {
    const plain = safe
      .replace(/<(script|style)[\s\S]*?<\/\1>/gi, ' ')
      .replace(/<[^>]*>/g, ' ')
      .replace(/\s+/g, ' ')
      .trim()
    return {excerpt: plain.length > EXCERPT_LENGTH ? `${plain.slice(0, EXCERPT_LENGTH)}…` : plain}
  }
}

/** One line of what the server said: an ErrorBody's message and details, an RFC error, or an excerpt. */
function serverSays(body: ReadBody): string {
  if (body.json === undefined) return body.excerpt ?? ''
  const message = messageOf(body.json)
  const rfc = stringMember(body.json, 'error')
  const details = detailsOf(body.json)
  const head = message ?? (rfc ? `error ${rfc}` : '')
  return details ? `${head} (${details})` : head
}

function messageOf(json: unknown): string | undefined {
  return stringMember(json, 'message')
}

function hintOf(json: unknown): string | undefined {
  return stringMember(json, 'hint')
}

function detailsOf(json: unknown): string {
  const details = isObject(json) && Array.isArray(json.details) ? json.details : []
  return details
    .filter(isObject)
    .map((item) => {
      const loc = Array.isArray(item.loc) ? item.loc.join('.') : ''
      const msg = typeof item.msg === 'string' ? item.msg : ''
      return loc ? `${loc}: ${msg}` : msg
    })
    .filter((line) => line !== '')
    .join('; ')
}

function stringMember(json: unknown, key: string): string | undefined {
  if (!isObject(json)) return undefined
  const value = json[key]
  return typeof value === 'string' && value.trim() !== '' ? value : undefined
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function errorCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined
  const code = (error as {code?: unknown}).code
  return typeof code === 'string' ? code : undefined
}
