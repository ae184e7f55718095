import type {Env, Streams} from './system.js'
import {canAnimate} from './terminal.js'

/**
 * A waiting indicator on stderr. On a terminal (and not under CI) it animates in place; elsewhere
 * it prints plain lines, never a cursor escape, and repeats the progress text at most once a minute
 * so a 15-minute wait does not flood a CI log.
 */
export interface StatusLine {
  start(text: string): void
  /** New progress text: redrawn on a terminal, printed now and then elsewhere. */
  update(text: string): void
  /** Something worth a line of its own (a retry, a wait the server asked for). */
  notice(text: string): void
  stop(): void
}

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏']
const PLAIN_REPEAT_MS = 60_000

export function statusLine(streams: Streams, env: Env, options: {machine: boolean; now?: () => number}): StatusLine {
  const {stderr} = streams
  if (options.machine) return {notice() {}, start() {}, stop() {}, update() {}}
  if (!canAnimate(streams, env)) {
    const now = options.now ?? Date.now
    let lastPrinted = 0
    const print = (text: string) => {
      lastPrinted = now()
      stderr.write(`${text}\n`)
    }

    return {
      notice: print,
      start: print,
      stop() {},
      update(text) {
        if (now() - lastPrinted >= PLAIN_REPEAT_MS) print(text)
      },
    }
  }

  let frame = 0
  let text = ''
  let timer: NodeJS.Timeout | undefined
  const draw = () => stderr.write(`\r\u001B[2K${FRAMES[frame++ % FRAMES.length]} ${text}`)
  return {
    notice(line) {
      stderr.write(`\r\u001B[2K${line}\n`)
      if (timer) draw()
    },
    start(initial) {
      text = initial
      stderr.write('\u001B[?25l')
      draw()
      timer = setInterval(draw, 80)
      timer.unref()
    },
    stop() {
      if (!timer) return
      clearInterval(timer)
      timer = undefined
      stderr.write('\r\u001B[2K\u001B[?25h')
    },
    update(next) {
      text = next
    },
  }
}
