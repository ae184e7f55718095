import type {HttpClient, HttpRequest, HttpResponse} from '../../src/lib/api/http-client.js'
import type {SessionRecord} from '../../src/lib/api/sessions.js'
import {DifyError} from '../../src/lib/errors/dify-error.js'
import type {Clock} from '../../src/lib/io/system.js'

export function sessionRow(index: number, overrides: Partial<SessionRecord> = {}): SessionRecord {
  const id = `00000000-0000-4000-8000-${String(index).padStart(12, '0')}`
  return {
    client_id: 'difyctl',
    created_at: `2026-06-02T09:${String(Math.floor(index / 60) % 60).padStart(2, '0')}:${String(index % 60).padStart(2, '0')}.123456Z`,
    device_label: `difyctl on host-${index}`,
    expires_at: '2026-06-16T09:14:31.123456Z',
    id,
    last_used_at: null,
    prefix: 'dfoa_',
    ...overrides,
  }
}

export interface FakeSessionsOptions {
  clock?: Clock
  /** Per-token limit as the server applies it: at most `limit` accepted requests per `windowMs`. */
  rateLimit?: {limit: number; windowMs: number}
  /** Answers a request instead of the fake server (return undefined to let it through). */
  intercept?: (request: HttpRequest, index: number) => HttpResponse<unknown> | Error | undefined
  /** Real milliseconds each request takes, so that several can be in flight at once. */
  latencyMs?: number
}

/**
 * An HttpClient that is an in-memory sessions server (protocol §6.1, §6.2), for behaviour tests:
 * it pages, revokes, can rate-limit like the per-token bucket, and records what it was sent and how
 * many requests were in flight at once. Only the two routes devices commands use exist.
 */
export class FakeSessionsClient implements HttpClient {
  readonly baseUrl = 'https://dify.example.com'
  readonly requests: HttpRequest[] = []
  readonly revoked: string[] = []
  inFlight = 0
  maxInFlight = 0
  private accepted: number[] = []

  constructor(
    public sessions: SessionRecord[],
    private readonly options: FakeSessionsOptions = {},
  ) {}

  async request<T>(request: HttpRequest): Promise<HttpResponse<T>> {
    const index = this.requests.length
    this.requests.push(request)
    this.inFlight += 1
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight)
    try {
      await new Promise((resolve) => setTimeout(resolve, this.options.latencyMs ?? 0))
      const scripted = this.options.intercept?.(request, index)
      if (scripted instanceof Error) throw scripted
      const response = scripted ?? this.answer(request)
      if (response.status >= 300 && !(request.acceptStatuses ?? []).includes(response.status)) {
        throw new DifyError(response.status === 429 ? 'rate_limited' : response.status === 401 ? 'auth_expired' : 'bad_response', `HTTP ${response.status}`)
      }

      return response as HttpResponse<T>
    } finally {
      this.inFlight -= 1
    }
  }

  private answer(request: HttpRequest): HttpResponse<unknown> {
    const limit = this.options.rateLimit
    if (limit) {
      const now = this.options.clock!.now()
      this.accepted = this.accepted.filter((at) => at > now - limit.windowMs)
      if (this.accepted.length >= limit.limit) {
        const retryAfterS = Math.max(1, Math.ceil((this.accepted[0] + limit.windowMs - now) / 1000))
        return {body: {code: 'too_many_requests', message: 'rate_limited', status: 429}, headers: {'retry-after': String(retryAfterS)}, status: 429}
      }

      this.accepted.push(now)
    }

    if (request.method === 'GET' && request.path === 'account/sessions') {
      const page = Number(request.query?.page ?? 1)
      const size = Number(request.query?.limit ?? 100)
      const start = (page - 1) * size
      return {
        body: {data: this.sessions.slice(start, start + size), has_more: page * size < this.sessions.length, limit: size, page, total: this.sessions.length},
        headers: {},
        status: 200,
      }
    }

    const match = /^account\/sessions\/(.+)$/.exec(request.path)
    if (request.method === 'DELETE' && match) {
      const id = decodeURIComponent(match[1])
      const found = this.sessions.find((session) => session.id === id)
      if (!found) return {body: {code: 'not_found', message: 'session not found', status: 404}, headers: {}, status: 404}
      this.sessions = this.sessions.filter((session) => session !== found)
      this.revoked.push(id)
      return {body: {status: 'revoked'}, headers: {}, status: 200}
    }

    return {body: {code: 'not_found', message: 'Not Found', status: 404}, headers: {}, status: 404}
  }
}
