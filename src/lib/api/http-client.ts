import type {IncomingHttpHeaders} from 'node:http'

import {DifyError, interruptedError} from '../errors/dify-error.js'
import type {Clock, Env} from '../io/system.js'
import {displayUrl, errorForStatus, errorForTransport, type StatusErrorInput} from './http-errors.js'
import {chooseProxy, type ProxyChoice} from './proxy.js'
import type {ProxyAgents} from './proxy-agents.js'
import {formatWait, parseRetryAfter} from './retry-after.js'

export type HttpMethod = 'DELETE' | 'GET' | 'POST'

export interface HttpClientOptions {
  /** Origin plus any path prefix, e.g. `https://x.com/dify`; API paths go under `<baseUrl>/openapi/v1/`. */
  baseUrl: string
  userAgent: string
  env: Env
  clock: Clock
  /** Sent as a bearer token on `authenticated` requests only, and only to the origin of `baseUrl`. */
  token?: string
  /** Per attempt. Default 15 s. */
  timeoutMs?: number
  /** GET and DELETE only: tries in all (default 3) and the first backoff (default 500 ms, doubling, jittered). */
  retry?: {attempts: number; baseDelayMs: number}
  /** The longest `Retry-After` honoured by waiting; longer advice fails at once. Default 60 s. */
  maxRetryAfterS?: number
  /** How many advised 429 waits one request may sit through. Default 3. */
  maxRateLimitWaits?: number
  /** Receives one line for people (stderr) whenever the client waits on the server's advice. */
  onNotice?: (line: string) => void
  /** Aborts every request of this client and any wait (Ctrl-C). */
  signal?: AbortSignal
  /** Jitter source, in [0, 1). */
  random?: () => number
}

export interface HttpRequest {
  method: HttpMethod
  /** Relative to `<baseUrl>/openapi/v1/`, e.g. `account/sessions`. Encode path segments yourself. */
  path: string
  query?: Record<string, boolean | number | string | undefined>
  /** POST only; sent as JSON. A POST without a body sends `{}`. */
  body?: unknown
  /** Send the bearer token: account/* routes only (protocol §11.3). */
  authenticated?: boolean
  /**
   * Non-2xx statuses handed back instead of thrown, when their body is JSON (the device-flow poll
   * reads its 400 RFC bodies this way). A non-JSON body still fails like any other status.
   */
  acceptStatuses?: readonly number[]
  /**
   * Wait out a short 429 `Retry-After` and send again (default true). A 429 means the request was
   * not processed, so this is safe even for POST; the device-code request turns it off anyway.
   */
  retryOn429?: boolean
  signal?: AbortSignal
}

export interface HttpResponse<T> {
  status: number
  headers: IncomingHttpHeaders
  /** Parsed JSON; undefined for an empty body (204). Not validated: callers check its shape. */
  body: T
}

export interface HttpClient {
  readonly baseUrl: string
  request<T = unknown>(request: HttpRequest): Promise<HttpResponse<T>>
}

const DEFAULT_TIMEOUT_MS = 15_000
const DEFAULT_RETRY = {attempts: 3, baseDelayMs: 500}
const DEFAULT_MAX_RETRY_AFTER_S = 60
const DEFAULT_MAX_RATE_LIMIT_WAITS = 3
const MAX_REDIRECTS = 5
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308])

/** `<baseUrl>/openapi/v1/<path>?<query>` with exactly one `/` between the parts. */
export function apiUrl(baseUrl: string, path: string, query?: HttpRequest['query']): URL {
  const url = new URL(`${baseUrl.replace(/\/+$/, '')}/openapi/v1/${path.replace(/^\/+/, '')}`)
  for (const [key, value] of Object.entries(query ?? {})) {
    if (value !== undefined) url.searchParams.append(key, String(value))
  }

  return url
}

type Got = typeof import('got').default

interface Transport {
  got: Got
  proxyAgentsFor: typeof import('./proxy-agents.js').proxyAgentsFor
}

// got and hpagent load on the first request only: most commands never touch the network.
let transport: Promise<Transport> | undefined
function loadTransport(): Promise<Transport> {
  transport ??= Promise.all([import('got'), import('./proxy-agents.js')]).then(([gotModule, agents]) => ({
    got: gotModule.default,
    proxyAgentsFor: agents.proxyAgentsFor,
  }))
  return transport
}

interface Route {
  got: Got
  proxy?: ProxyChoice
  agents?: ProxyAgents
}

interface Answer {
  status: number
  headers: IncomingHttpHeaders
  text: string
}

export function createHttpClient(options: HttpClientOptions): HttpClient {
  const base = checkedBaseUrl(options.baseUrl)
  const baseUrl = base.href.replace(/\/+$/, '')
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS
  const retry = options.retry ?? DEFAULT_RETRY
  const maxRetryAfterS = options.maxRetryAfterS ?? DEFAULT_MAX_RETRY_AFTER_S
  const maxRateLimitWaits = options.maxRateLimitWaits ?? DEFAULT_MAX_RATE_LIMIT_WAITS
  const notice = options.onNotice ?? (() => {})
  const random = options.random ?? Math.random
  const {clock} = options

  // Redirects are followed within this origin only, so one proxy decision serves every request.
  let route: Promise<Route> | undefined
  const routeFor = (): Promise<Route> => {
    route ??= (async () => {
      const proxy = chooseProxy(base, options.env)
      const loaded = await loadTransport()
      return {agents: proxy ? loaded.proxyAgentsFor(base, proxy.proxy) : undefined, got: loaded.got, proxy}
    })()
    return route
  }

  async function send(url: URL, request: HttpRequest, signal: AbortSignal | undefined, current: Route): Promise<Answer> {
    const headers: Record<string, string> = {accept: 'application/json', 'user-agent': options.userAgent}
    let body: string | undefined
    if (request.method === 'POST') {
      headers['content-type'] = 'application/json'
      body = JSON.stringify(request.body ?? {})
    }

    if (request.authenticated && url.origin === base.origin) headers.authorization = `Bearer ${options.token}`

    const response = await current.got(url, {
      agent: current.agents ?? {},
      body,
      followRedirect: false,
      headers,
      method: request.method,
      responseType: 'text',
      retry: {limit: 0},
      signal,
      throwHttpErrors: false,
      timeout: {request: timeoutMs},
    })
    return {headers: response.headers, status: response.statusCode, text: response.body}
  }

  // Exponential, with half of each delay random so that many clients do not retry in step.
  function backoff(failures: number, signal: AbortSignal | undefined): Promise<void> {
    const delay = retry.baseDelayMs * 2 ** (failures - 1)
    return pause(delay / 2 + (random() * delay) / 2, signal)
  }

  async function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
    try {
      await clock.sleep(ms, signal)
    } catch (error) {
      throw interrupted(error)
    }
  }

  async function request<T>(request: HttpRequest): Promise<HttpResponse<T>> {
    const signal = combineSignals(options.signal, request.signal)
    if (signal?.aborted) throw interrupted(signal.reason)
    if (request.body !== undefined && request.method !== 'POST') {
      throw new DifyError('internal_error', `a ${request.method} request cannot carry a body`)
    }

    if (request.authenticated && !options.token) {
      throw new DifyError('not_logged_in', `no token to send to ${base.host}`, {hint: `sign in: difyctl auth login --host ${baseUrl}`})
    }

    // Only GET and DELETE are retried after a failure: a POST may have been processed already.
    const maxAttempts = request.method === 'POST' ? 1 : Math.max(1, retry.attempts)
    const accepted = new Set(request.acceptStatuses ?? [])
    const current = await routeFor()
    let url = apiUrl(baseUrl, request.path, request.query)
    let failures = 0
    let rateLimitWaits = 0
    let redirects = 0

    for (;;) {
      let answer: Answer
      try {
        answer = await send(url, request, signal, current)
      } catch (error) {
        if (signal?.aborted) throw interrupted(signal.reason)
        failures += 1
        const failure = errorForTransport({attempts: failures, error, method: request.method, proxy: current.proxy, timeoutMs, url})
        // A certificate problem does not go away by asking again.
        if (failures >= maxAttempts || failure.code === 'tls_error') throw failure
        await backoff(failures, signal)
        continue
      }

      const {status} = answer
      const failed = (extra: Partial<StatusErrorInput> = {}) =>
        errorForStatus({
          authenticated: request.authenticated,
          baseUrl,
          body: answer.text,
          method: request.method,
          status,
          token: options.token,
          url,
          ...extra,
        })

      if ((status >= 200 && status < 300) || accepted.has(status)) {
        const parsed = parseJson(answer.text)
        if (parsed.ok) return {body: parsed.value as T, headers: answer.headers, status}
        if (status === 204 && answer.text.trim() === '') return {body: undefined as T, headers: answer.headers, status}
        throw failed()
      }

      if (REDIRECT_STATUSES.has(status) && answer.headers.location) {
        url = redirectTarget({authenticated: Boolean(request.authenticated), base, location: answer.headers.location, method: request.method, redirects, status, url})
        redirects += 1
        continue
      }

      if (status === 429) {
        const retryAfterS = parseRetryAfter(answer.headers['retry-after'], clock.now())
        const mayWait = request.retryOn429 !== false && retryAfterS !== undefined && retryAfterS <= maxRetryAfterS
        if (!mayWait || rateLimitWaits >= maxRateLimitWaits) throw failed({rateLimitWaits, retryAfterS})
        rateLimitWaits += 1
        notice(`rate limited by ${url.host}; waiting ${formatWait(retryAfterS)} as the server asked`)
        await pause(retryAfterS * 1000, signal)
        continue
      }

      if (status >= 500) {
        failures += 1
        if (failures >= maxAttempts) throw failed({attempts: failures})
        await backoff(failures, signal)
        continue
      }

      throw failed()
    }
  }

  return {baseUrl, request}
}

interface RedirectInput {
  base: URL
  url: URL
  location: string
  status: number
  method: HttpMethod
  redirects: number
  authenticated: boolean
}

/**
 * Where a redirect may lead: the same origin only (so a token never follows it elsewhere and https
 * never drops to http), at most MAX_REDIRECTS times. 307/308 repeat the request as it was; 301, 302
 * and 303 are followed for GET only, since clients historically turn other methods into a GET there,
 * which would change what the request means.
 */
function redirectTarget(input: RedirectInput): URL {
  const {base, url} = input
  const http = {method: input.method, status: input.status, url: displayUrl(url)}
  let next: URL
  try {
    next = new URL(input.location, url)
  } catch {
    throw new DifyError('bad_response', `${url.host} redirected to an invalid location`, {http})
  }

  const where = displayUrl(next)
  const tokenNote = input.authenticated ? '; the token was not sent there' : ''
  if (next.origin !== base.origin) {
    const downgrade = base.protocol === 'https:' && next.protocol === 'http:'
    const message = downgrade
      ? `${url.host} redirected from https to plain http (${where}); difyctl did not follow${tokenNote}`
      : `${url.host} redirected to another origin (${where}); difyctl did not follow${tokenNote}`
    throw new DifyError('bad_response', message, {
      hint: `if ${next.origin} is the right server, sign in to it directly: difyctl auth login --host ${next.origin}`,
      http,
    })
  }

  if (input.redirects >= MAX_REDIRECTS) {
    throw new DifyError('bad_response', `${url.host} redirected more than ${MAX_REDIRECTS} times (last to ${where})`, {http})
  }

  if (input.status !== 307 && input.status !== 308 && input.method !== 'GET') {
    throw new DifyError('bad_response', `${url.host} answered ${input.method} with a redirect (HTTP ${input.status}) to ${where}; difyctl did not follow`, {http})
  }

  return next
}

function parseJson(text: string): {ok: true; value: unknown} | {ok: false} {
  try {
    return {ok: true, value: JSON.parse(text)}
  } catch {
    return {ok: false}
  }
}

function checkedBaseUrl(baseUrl: string): URL {
  let url: URL | undefined
  try {
    url = new URL(baseUrl)
  } catch {
    url = undefined
  }

  if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:') || url.username || url.password || url.search || url.hash) {
    throw new DifyError('usage_error', `"${baseUrl}" is not a usable host URL`, {hint: 'use https://<host>[/<path prefix>]'})
  }

  return url
}

function combineSignals(...signals: Array<AbortSignal | undefined>): AbortSignal | undefined {
  const present = signals.filter((signal): signal is AbortSignal => signal !== undefined)
  if (present.length <= 1) return present[0]
  return AbortSignal.any(present)
}

function interrupted(cause: unknown): DifyError {
  return interruptedError(cause)
}
