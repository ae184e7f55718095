import {performance} from 'node:perf_hooks'

/**
 * The emulator's only source of time: real time plus a settable offset, in whole microseconds since
 * the Unix epoch. Every lifetime, rate window and poll timer reads it, so moving the offset
 * (`POST /_emulator/clock`) moves all of them together. Real waits (`delay_ms`, approve latency) are
 * not affected: they are about sockets, not about the server's idea of now.
 */
export class Clock {
  private offsetUs = 0

  nowUs(): number {
    return realNowUs() + this.offsetUs
  }

  advance(seconds: number): void {
    this.offsetUs += Math.round(seconds * 1e6)
  }

  set(us: number): void {
    this.offsetUs = us - realNowUs()
  }

  reset(): void {
    this.offsetUs = 0
  }

  offsetSeconds(): number {
    return this.offsetUs / 1e6
  }
}

// performance.now() is monotonic, so the emulator's clock never steps backwards on its own.
function realNowUs(): number {
  return Math.round((performance.timeOrigin + performance.now()) * 1000)
}
