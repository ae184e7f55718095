import type {RevokeAnswer} from '../api/sessions.js'
import {formatWait} from '../api/retry-after.js'
import {DifyError, interruptedError} from '../errors/dify-error.js'
import type {ErrorCode} from '../errors/codes.js'
import type {Clock, Env, Streams} from '../io/system.js'
import {statusLine} from '../io/status.js'
import {canAnimate} from '../io/terminal.js'

/**
 * Revoking many sessions: a few requests in flight at once, paced as a whole by the server's
 * per-token rate limit (60 a minute): when one request is told to wait, every worker waits for the
 * same advised time instead of each hammering the server, and people are told on stderr.
 */

export interface BatchProgress {
  start(total: number): void
  advance(done: number, total: number): void
  /** The batch pauses for `seconds` on the server's advice. */
  waiting(seconds: number, done: number, total: number): void
  stop(): void
}

export const silentProgress: BatchProgress = {advance() {}, start() {}, stop() {}, waiting() {}}

/**
 * Progress on a terminal stderr (animated, in place); elsewhere only the waits are reported, one
 * plain line each, so logs and CI output stay short.
 */
export function batchProgress(streams: Streams, env: Env, host: string): BatchProgress {
  const waitLine = (seconds: number, done: number, total: number) =>
    `rate limited by ${host}; waiting ${formatWait(seconds)} as the server asked (${done} of ${total} done so far)`
  if (!canAnimate(streams, env)) {
    return {
      advance() {},
      start() {},
      stop() {},
      waiting(seconds, done, total) {
        streams.stderr.write(`${waitLine(seconds, done, total)}\n`)
      },
    }
  }

  const status = statusLine(streams, env, {machine: false})
  const text = (done: number, total: number) => `revoking sessions: ${done} of ${total} done`
  let running = false
  return {
    advance(done, total) {
      status.update(text(done, total))
    },
    start(total) {
      running = true
      status.start(text(0, total))
    },
    stop() {
      if (running) status.stop()
      running = false
    },
    waiting(seconds, done, total) {
      // The notice stays on screen as a line of its own; the animation goes on below it.
      status.notice(waitLine(seconds, done, total))
      status.update(`${text(done, total)} (waiting ${formatWait(seconds)})`)
    },
  }
}

export interface BatchOptions {
  ids: readonly string[]
  revoke(id: string): Promise<RevokeAnswer>
  clock: Clock
  signal?: AbortSignal
  /** Requests in flight at once. */
  concurrency?: number
  /** The longest advised wait sat through; longer advice stops the batch (F13: no hour-long hang). */
  maxWaitS?: number
  /** Advised waits in a row with nothing revoked between them before giving up. */
  maxStalledWaits?: number
  progress?: BatchProgress
  /** For messages. */
  host: string
}

export interface BatchFailure {
  id: string
  error: DifyError
}

export interface BatchReport {
  revoked: string[]
  failed: BatchFailure[]
  /** Never sent, because something stopped the batch first. */
  notAttempted: string[]
  /** What stopped the batch early, if anything. */
  stoppedBy?: DifyError
}

export const DEFAULT_CONCURRENCY = 4
export const DEFAULT_MAX_WAIT_S = 60
export const DEFAULT_MAX_STALLED_WAITS = 3

/**
 * Failures that say the rest of the batch cannot succeed either (the token is dead, the server is
 * unreachable, the user pressed Ctrl-C): the batch stops and reports what it did not send. Anything
 * else (one row the server fails on, a 404) is that row's failure and the batch goes on.
 */
const STOPPING: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'auth_expired',
  'interrupted',
  'network_error',
  'not_logged_in',
  'rate_limited',
  'timeout',
  'tls_error',
  'unsupported_endpoint',
  'unsupported_token_type',
  'upgrade_required',
])

function asDifyError(error: unknown): DifyError {
  if (error instanceof DifyError) return error
  return new DifyError('internal_error', `unexpected error: ${error instanceof Error ? error.message : String(error)}`, {cause: error})
}

function interruptedBy(reason: unknown): DifyError {
  return reason instanceof DifyError && reason.code === 'interrupted' ? reason : interruptedError(reason)
}

export function notFoundError(id: string, host: string): DifyError {
  return new DifyError('no_match', `session ${id} was not found on ${host} (already gone, or not a session of this account)`)
}

export async function revokeBatch(options: BatchOptions): Promise<BatchReport> {
  const {clock, host, ids, signal} = options
  const concurrency = Math.max(1, options.concurrency ?? DEFAULT_CONCURRENCY)
  const maxWaitS = options.maxWaitS ?? DEFAULT_MAX_WAIT_S
  const maxStalledWaits = options.maxStalledWaits ?? DEFAULT_MAX_STALLED_WAITS
  const progress = options.progress ?? silentProgress
  const report: BatchReport = {failed: [], notAttempted: [], revoked: []}
  const total = ids.length
  let next = 0
  let stalledWaits = 0
  let pause: Promise<void> | undefined

  const done = () => report.revoked.length + report.failed.length
  const stop = (error: DifyError) => {
    report.stoppedBy ??= error
  }

  const waitAdvised = (retryAfterS: number | undefined): void => {
    if (retryAfterS === undefined || retryAfterS > maxWaitS) {
      const said = retryAfterS === undefined ? 'without saying for how long' : `to wait ${formatWait(retryAfterS)}, longer than difyctl waits (${formatWait(maxWaitS)})`
      stop(new DifyError('rate_limited', `rate limited by ${host} (HTTP 429): the server asked ${said}`, {hint: 'try again later'}))
      return
    }

    if (stalledWaits >= maxStalledWaits) {
      stop(new DifyError('rate_limited', `rate limited by ${host} (HTTP 429): still limited after ${stalledWaits} waits with nothing revoked in between`, {hint: 'try again later'}))
      return
    }

    stalledWaits += 1
    progress.waiting(retryAfterS, done(), total)
    // Retry-After is whole seconds rounded up; a short extra margin avoids arriving a hair early.
    pause = clock.sleep(retryAfterS * 1000 + 100, signal).finally(() => {
      pause = undefined
    })
  }

  const revokeOne = async (id: string): Promise<void> => {
    for (;;) {
      if (pause) {
        try {
          await pause
        } catch (caught) {
          // Interrupted while waiting: this id got a 429, so the server never acted on it.
          stop(signal?.aborted ? interruptedBy(signal.reason) : asDifyError(caught))
        }
      }

      if (report.stoppedBy) {
        report.notAttempted.push(id)
        return
      }

      const answer = await options.revoke(id)
      if (answer.outcome === 'revoked') {
        report.revoked.push(id)
        stalledWaits = 0
        progress.advance(done(), total)
        return
      }

      if (answer.outcome === 'not_found') {
        report.failed.push({error: notFoundError(id, host), id})
        progress.advance(done(), total)
        return
      }

      // Several workers see the same limit at once: the first one decides the pause, the others join it.
      if (!pause) waitAdvised(answer.retryAfterS)
    }
  }

  const worker = async (): Promise<void> => {
    while (next < ids.length) {
      const id = ids[next++]
      if (report.stoppedBy) {
        report.notAttempted.push(id)
        continue
      }

      try {
        await revokeOne(id)
      } catch (caught) {
        const error = signal?.aborted ? interruptedBy(signal.reason) : asDifyError(caught)
        report.failed.push({error, id})
        if (STOPPING.has(error.code)) stop(error)
        else progress.advance(done(), total)
      }
    }
  }

  progress.start(total)
  try {
    await Promise.all(Array.from({length: Math.min(concurrency, total)}, () => worker()))
  } finally {
    progress.stop()
  }

  // Keep the caller's order, whatever order the answers came in.
  const order = new Map(ids.map((id, index) => [id, index]))
  const byOrder = (a: string, b: string) => order.get(a)! - order.get(b)!
  report.revoked.sort(byOrder)
  report.notAttempted.sort(byOrder)
  report.failed.sort((a, b) => byOrder(a.id, b.id))
  return report
}
