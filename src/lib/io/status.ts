import {canAnimate} from './terminal.js'
import type {Env, Streams} from './system.js'

/**
 * A waiting indicator on stderr. On a terminal (and not under CI) it animates in place; elsewhere
 * it prints plain lines and never a cursor escape, so logs stay readable.
 */
export interface StatusLine {
  start(text: string): void
  update(text: string): void
  /** Ends the indicator; `final` is printed as a plain line when given. */
  stop(final?: string): void
}

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏']

export function statusLine(streams: Streams, env: Env, options: {machine: boolean}): StatusLine {
  const {stderr} = streams
  if (options.machine) {
    return {start() {}, stop() {}, update() {}}
  }

  if (!canAnimate(streams, env)) {
    let last = ''
    return {
      start(text) {
        last = text
        stderr.write(`${text}\n`)
      },
      stop(final) {
        if (final) stderr.write(`${final}\n`)
      },
      update(text) {
        // Plain mode prints only changes of substance, never every tick.
        if (text !== last) {
          last = text
          stderr.write(`${text}\n`)
        }
      },
    }
  }

  let frame = 0
  let text = ''
  let timer: NodeJS.Timeout | undefined
  const draw = () => stderr.write(`\r\u001B[2K${FRAMES[frame++ % FRAMES.length]} ${text}`)
  return {
    start(initial) {
      text = initial
      stderr.write('\u001B[?25l')
      draw()
      timer = setInterval(draw, 80)
      timer.unref()
    },
    stop(final) {
      if (timer) clearInterval(timer)
      timer = undefined
      stderr.write('\r\u001B[2K\u001B[?25h')
      if (final) stderr.write(`${final}\n`)
    },
    update(next) {
      text = next
    },
  }
}
