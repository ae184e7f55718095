import type {Env, Streams} from './system.js'

/** Whether a person is at the keyboard: prompts need stdin and stderr to be terminals. */
export function isInteractive(streams: Streams): boolean {
  return streams.stdinIsTTY && Boolean(streams.stderr.isTTY)
}

/** Colour and glyphs only on a terminal, and never when NO_COLOR is set (any value, per no-color.org). */
export function useColor(stream: {isTTY?: boolean}, env: Env): boolean {
  return Boolean(stream.isTTY) && env.NO_COLOR === undefined && env.TERM !== 'dumb'
}

/** Animations (spinners, progress bars) only on a terminal stderr, and never under CI. */
export function canAnimate(streams: Streams, env: Env): boolean {
  const ci = env.CI !== undefined && env.CI !== '' && env.CI !== 'false' && env.CI !== '0'
  return Boolean(streams.stderr.isTTY) && !ci && env.TERM !== 'dumb'
}
