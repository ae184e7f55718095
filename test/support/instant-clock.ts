import type {Clock} from '../../src/lib/io/system.js'

export interface InstantClock extends Clock {
  /** Every sleep asked for, in ms, in order. */
  sleeps: number[]
}

/**
 * A clock whose sleeps return at once and move `now` forward, so backoff and Retry-After waits cost
 * no real time while the test can still read how long the code meant to wait. Honours abort.
 */
export function instantClock(startMs = Date.UTC(2026, 5, 1)): InstantClock {
  let now = startMs
  const sleeps: number[] = []
  return {
    now: () => now,
    async sleep(ms, signal) {
      if (signal?.aborted) throw signal.reason
      sleeps.push(ms)
      now += ms
      await new Promise((resolve) => setImmediate(resolve))
      if (signal?.aborted) throw signal.reason
    },
    sleeps,
  }
}
