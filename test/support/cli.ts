import {type ChildProcess, spawn} from 'node:child_process'
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

/** The repository root, and the built CLI entry point end-to-end tests spawn. */
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')
export const BIN = path.join(ROOT, 'bin', 'run.js')

export interface CliResult {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
}

export interface CliState {
  configDir: string
  dataDir: string
  /** Environment for a CLI run using this state: isolated dirs, no colour, sealed-file storage. */
  env: Record<string, string>
  cleanup(): void
}

/**
 * A private config + data dir for one test. Tokens go to the sealed file unless a test asks for the
 * keychain (DIFY_TOKEN_STORAGE), so end-to-end tests do not depend on the Secret Service.
 */
export function tempState(extraEnv: Record<string, string> = {}): CliState {
  const base = mkdtempSync(path.join(tmpdir(), 'difyctl-e2e-'))
  const configDir = path.join(base, 'config')
  const dataDir = path.join(base, 'data')
  return {
    cleanup: () => rmSync(base, {force: true, recursive: true}),
    configDir,
    dataDir,
    env: {DIFY_CONFIG_DIR: configDir, DIFY_DATA_DIR: dataDir, DIFY_TOKEN_STORAGE: 'file', ...extraEnv},
  }
}

export interface RunOptions {
  env?: Record<string, string | undefined>
  /** Written to stdin, which is then closed. Without it stdin is closed immediately (not a TTY). */
  input?: string
  timeoutMs?: number
  /** Called with each stderr chunk as it arrives (e.g. to read the one-time code mid-run). */
  onStderr?: (chunk: string, all: string) => void
  cwd?: string
}

/** Environment variables that would make a run depend on the machine it happens on. */
const SCRUBBED = ['DIFY_HOST', 'DIFY_ACCOUNT', 'DIFY_LIMIT', 'DIFY_TOKEN_STORAGE', 'BROWSER', 'HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy', 'NO_PROXY', 'no_proxy', 'DEBUG']

export function cliEnv(overrides: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {...process.env}
  for (const name of SCRUBBED) delete env[name]
  env.NO_COLOR = '1'
  for (const [name, value] of Object.entries(overrides)) {
    if (value === undefined) delete env[name]
    else env[name] = value
  }

  return env
}

/** Anything shaped like a Dify bearer token (protocol §3): it must never reach a terminal. */
export const TOKEN_SHAPE = /df(?:oa|oe)_[\w-]{43}/

/**
 * Spawns `bin/run.js` as a real process (the project's Node, from node_modules/.bin). Every run is
 * scanned: a token-shaped string on stdout or stderr fails the test that caused it, whatever it
 * was testing.
 */
export function runCli(args: readonly string[], options: RunOptions = {}): Promise<CliResult> & {child: ReturnType<typeof spawn>} {
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: options.cwd ?? ROOT,
    env: cliEnv(options.env),
    stdio: ['pipe', 'pipe', 'pipe'],
  })
  if (options.input === undefined) child.stdin.end()
  else child.stdin.end(options.input)
  const promise = collectOutput(child, `difyctl ${args.join(' ')}`, options.timeoutMs ?? 30_000, options.onStderr)
  return Object.assign(promise, {child})
}

/**
 * Collects a spawned process's output; kills it and fails after `timeoutMs`. A token-shaped string
 * on stdout or stderr fails the run: every end-to-end test is also a leak scan.
 */
export function collectOutput(
  child: ChildProcess,
  label: string,
  timeoutMs: number,
  onStderr?: (chunk: string, all: string) => void,
): Promise<CliResult> {
  let stdout = ''
  let stderr = ''
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk
  })
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk
    onStderr?.(chunk, stderr)
  })
  return new Promise<CliResult>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`${label} did not finish within ${timeoutMs} ms\nstdout: ${stdout}\nstderr: ${stderr}`))
    }, timeoutMs)
    child.once('error', reject)
    child.once('close', (code, signal) => {
      clearTimeout(timer)
      const leak = TOKEN_SHAPE.exec(stdout) ?? TOKEN_SHAPE.exec(stderr)
      if (leak) {
        reject(new Error(`${label} printed a token (${leak[0].slice(0, 9)}…)`))
        return
      }

      resolve({code, signal, stderr, stdout})
    })
  })
}
