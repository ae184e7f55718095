/**
 * The seams to the outside world. Everything in src/lib takes these as arguments; only this file
 * reads process.env, the real clock and the real streams.
 */

export type Env = Readonly<Record<string, string | undefined>>

export interface OutputStream {
  write(chunk: string): unknown
  readonly isTTY?: boolean
}

export interface Streams {
  readonly stdout: OutputStream
  readonly stderr: OutputStream
  readonly stdinIsTTY: boolean
}

export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number
  /** Resolves after `ms`, or rejects with the signal's reason when it aborts first. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>
}

export function systemEnv(): Env {
  return process.env
}

export function systemStreams(): Streams {
  return {
    stderr: process.stderr,
    stdinIsTTY: Boolean(process.stdin.isTTY),
    stdout: process.stdout,
  }
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep(ms, signal) {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) {
        reject(signal.reason)
        return
      }

      const onAbort = () => {
        clearTimeout(timer)
        reject(signal?.reason)
      }

      const timer = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort)
        resolve()
      }, Math.max(0, ms))
      signal?.addEventListener('abort', onAbort, {once: true})
    })
  },
}
