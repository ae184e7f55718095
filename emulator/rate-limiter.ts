import type {Clock} from './clock.js'
import type {RateLimit} from './config.js'

export type Verdict = {ok: true} | {ok: false; retryAfterS: number}

/**
 * Sliding windows of protocol §8: a request is refused when the accepted requests inside the
 * trailing window already reach the limit; refused requests leave no trace.
 */
export class SlidingWindowLimiter {
  private readonly accepted = new Map<string, number[]>()

  constructor(private readonly clock: Clock) {}

  take(key: string, rule: RateLimit): Verdict {
    if (rule.limit <= 0) return {ok: true}
    const now = this.clock.nowUs()
    const windowUs = rule.window_s * 1e6
    const inWindow = (this.accepted.get(key) ?? []).filter((t) => t > now - windowUs)
    if (inWindow.length >= rule.limit) {
      this.accepted.set(key, inWindow)
      // The slot frees when enough of the oldest accepted requests have left the window.
      const sorted = [...inWindow].sort((a, b) => a - b)
      const freesAt = sorted[sorted.length - rule.limit] + windowUs
      return {ok: false, retryAfterS: Math.max(1, Math.ceil((freesAt - now) / 1e6))}
    }

    inWindow.push(now)
    this.accepted.set(key, inWindow)
    return {ok: true}
  }

  clear(): void {
    this.accepted.clear()
  }
}
