import {ConfigError} from './config.js'

/**
 * A scripted misbehaviour (protocol §12.3). `route` is `*`, `<METHOD> <path>` or `<path>`, where
 * the path is relative to `/openapi/v1/` unless it starts with `/` (e.g. `POST /device/approve`),
 * `{name}` matches one path segment and `*` as METHOD or as the whole path matches anything.
 */
export interface FaultSpec {
  route: string
  count?: number
  skip?: number
  status?: number
  body?: unknown
  content_type?: string
  headers?: Record<string, string>
  delay_ms?: number
  action?: 'reset'
}

/** A FaultSpec as armed: its defaults filled in, plus an id and a counter. */
export interface Fault extends Omit<FaultSpec, 'count' | 'route' | 'skip'>, Required<Pick<FaultSpec, 'count' | 'route' | 'skip'>> {
  id: number
  /** Requests this fault has answered so far. */
  fired: number
}

interface Matcher {
  method: string
  segments: string[] | null
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function parseRoute(route: string): Matcher {
  const trimmed = route.trim()
  if (trimmed === '*') return {method: '*', segments: null}
  const space = trimmed.indexOf(' ')
  const method = space < 0 ? '*' : trimmed.slice(0, space).toUpperCase()
  const path = space < 0 ? trimmed : trimmed.slice(space + 1).trim()
  if (path === '*') return {method, segments: null}
  return {method, segments: routeKey(path.startsWith('/') ? path : `/openapi/v1/${path}`)}
}

/** A request path as path segments, so `/openapi/v1/a/b` and a template compare segment-wise. */
function routeKey(path: string): string[] {
  return path.split('/').slice(1)
}

function matches(matcher: Matcher, method: string, path: string): boolean {
  if (matcher.method !== '*' && matcher.method !== method) return false
  if (matcher.segments === null) return true
  const actual = routeKey(path)
  if (actual.length !== matcher.segments.length) return false
  return matcher.segments.every((seg, i) => (/^\{[^}]*\}$/.test(seg) ? actual[i] !== '' : seg === actual[i]))
}

export function parseFault(input: unknown, id: number): Fault {
  if (!isObject(input)) throw new ConfigError('a fault must be a JSON object')
  const allowed = ['route', 'count', 'skip', 'status', 'body', 'content_type', 'headers', 'delay_ms', 'action']
  for (const key of Object.keys(input)) if (!allowed.includes(key)) throw new ConfigError(`unknown fault member "${key}"`)
  if (typeof input.route !== 'string' || input.route.trim() === '') throw new ConfigError('fault.route must be a string such as "POST oauth/device/token" or "*"')
  const nonNegative = (name: string, value: unknown, fallback: number): number => {
    if (value === undefined) return fallback
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) throw new ConfigError(`fault.${name} must be an integer >= 0`)
    return value
  }

  const fault: Fault = {
    count: nonNegative('count', input.count, 1),
    fired: 0,
    id,
    route: input.route,
    skip: nonNegative('skip', input.skip, 0),
  }
  if (input.status !== undefined) {
    if (typeof input.status !== 'number' || !Number.isInteger(input.status) || input.status < 100 || input.status > 599) {
      throw new ConfigError('fault.status must be an HTTP status code')
    }

    fault.status = input.status
  }

  if (input.body !== undefined) fault.body = input.body
  if (input.content_type !== undefined) {
    if (typeof input.content_type !== 'string') throw new ConfigError('fault.content_type must be a string')
    fault.content_type = input.content_type
  }

  if (input.headers !== undefined) {
    if (!isObject(input.headers) || !Object.values(input.headers).every((v) => typeof v === 'string')) {
      throw new ConfigError('fault.headers must map names to strings')
    }

    fault.headers = input.headers as Record<string, string>
  }

  if (input.delay_ms !== undefined) fault.delay_ms = nonNegative('delay_ms', input.delay_ms, 0)
  if (input.action !== undefined) {
    if (input.action !== 'reset') throw new ConfigError('fault.action must be "reset"')
    fault.action = 'reset'
  }

  return fault
}

export class FaultBook {
  private faults: Array<{fault: Fault; matcher: Matcher}> = []
  private nextId = 1

  add(input: unknown): Fault {
    const fault = parseFault(input, this.nextId)
    const matcher = parseRoute(fault.route)
    this.nextId++
    this.faults.push({fault, matcher})
    return fault
  }

  clear(): void {
    this.faults = []
  }

  list(): Fault[] {
    return this.faults.map(({fault}) => ({...fault}))
  }

  /**
   * Every matching fault sees the request (its `skip` counts down); the first one whose skip is
   * used up and whose count is not answers it.
   */
  take(method: string, path: string): Fault | undefined {
    let chosen: Fault | undefined
    for (const {fault, matcher} of this.faults) {
      if (fault.fired >= fault.count || !matches(matcher, method, path)) continue
      if (fault.skip > 0) {
        fault.skip--
        continue
      }

      if (chosen === undefined) {
        fault.fired++
        chosen = fault
      }
    }

    return chosen
  }
}
