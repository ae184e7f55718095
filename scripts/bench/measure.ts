import {spawn} from 'node:child_process'
import {existsSync, mkdtempSync, readFileSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'

/**
 * Spawning and measuring one process. Wall time runs from just before spawn() to the child's
 * `exit` event, so every subject (the `node -e 0` floor included) pays the same spawn overhead and
 * ratios between them are fair. Peak RSS comes from separate runs under GNU time (`%M`, the
 * kernel's ru_maxrss of the child), so the wrapper never sits inside a timed run.
 */

export const TIME_BIN = '/usr/bin/time'

export interface Spawned {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
  /** performance.now() just before spawn and at the child's exit. */
  startedAt: number
  exitedAt: number
  ms: number
}

export interface SpawnSpec {
  command: string
  args: readonly string[]
  env: NodeJS.ProcessEnv
  cwd: string
  timeoutMs?: number
}

export function run(spec: SpawnSpec): Promise<Spawned> {
  return new Promise((resolve, reject) => {
    const startedAt = performance.now()
    const child = spawn(spec.command, spec.args, {cwd: spec.cwd, env: spec.env, stdio: ['ignore', 'pipe', 'pipe']})
    let stdout = ''
    let stderr = ''
    let exitedAt = 0
    let exit: {code: number | null; signal: NodeJS.Signals | null} | undefined
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk))
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
    const timer = setTimeout(() => child.kill('SIGKILL'), spec.timeoutMs ?? 120_000)
    child.once('error', (error) => {
      clearTimeout(timer)
      reject(error)
    })
    child.once('exit', (code, signal) => {
      exitedAt = performance.now()
      exit = {code, signal}
    })
    // `close` comes after the pipes drained, so the output is complete; the timing is the `exit`.
    child.once('close', () => {
      clearTimeout(timer)
      resolve({...exit!, exitedAt, ms: exitedAt - startedAt, startedAt, stderr, stdout})
    })
  })
}

export function hasGnuTime(): boolean {
  return existsSync(TIME_BIN)
}

/** Peak resident set of one run, in KiB, and the run itself (its wall time includes the wrapper). */
export async function runForRss(spec: SpawnSpec): Promise<{kib: number; result: Spawned}> {
  const dir = mkdtempSync(path.join(tmpdir(), 'difyctl-bench-rss-'))
  const out = path.join(dir, 'rss')
  try {
    const result = await run({...spec, args: ['-f', '%M', '-o', out, spec.command, ...spec.args], command: TIME_BIN})
    // A failing command makes GNU time write a status line first; the figure is the last line.
    const lines = readFileSync(out, 'utf8').trim().split('\n')
    return {kib: Number(lines.at(-1)), result}
  } finally {
    rmSync(dir, {force: true, recursive: true})
  }
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN
  const sorted = [...values].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
}

export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN
  const sorted = [...values].sort((a, b) => a - b)
  const position = (sorted.length - 1) * q
  const low = Math.floor(position)
  const high = Math.ceil(position)
  return sorted[low] + (sorted[high] - sorted[low]) * (position - low)
}
