import {execFileSync, spawn} from 'node:child_process'
import {existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {expect} from 'chai'

import {BIN, type CliResult, type CliState, cliEnv, ROOT, runCli, type RunOptions} from '../support/cli.js'
import type {TestEmulator} from '../support/emulator.js'

/** Accounts for the devices end-to-end tests: the one signed in, and a bystander whose sessions must survive. */
export const ME = 'demo@example.com'
export const OTHER = 'other@example.com'
export const ACCOUNTS = [
  {email: ME, id: '11111111-1111-4111-8111-111111111111', name: 'Demo User', workspaces: [{current: true, id: 'ws-demo', name: 'Demo Workspace', role: 'owner'}]},
  {email: OTHER, id: '22222222-2222-4222-8222-222222222222', name: 'Other Person', workspaces: []},
]

// A bearer token of either kind anywhere in a run's output is a leak.
const TOKEN_SHAPE = /dfo[ae]_[\w-]{16,}/

/** Runs the built CLI and fails the test if a token shows up on stdout or stderr. */
export async function difyctl(args: readonly string[], state: CliState, options: RunOptions = {}): Promise<CliResult> {
  const result = await runCli(args, {...options, env: {...state.env, ...options.env}})
  expect(result.stdout, `stdout of ${args.join(' ')}`).to.not.match(TOKEN_SHAPE)
  expect(result.stderr, `stderr of ${args.join(' ')}`).to.not.match(TOKEN_SHAPE)
  return result
}

/** A shell pipeline (e.g. `yes | difyctl …`) with the state's environment; fails the test on a token in the output. */
export async function pipeline(command: string, state: CliState, timeoutMs = 20_000): Promise<CliResult> {
  const child = spawn('bash', ['-c', command], {cwd: ROOT, env: cliEnv(state.env), stdio: ['ignore', 'pipe', 'pipe']})
  let stdout = ''
  let stderr = ''
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk))
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
  const result = await new Promise<CliResult>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`${command} did not finish within ${timeoutMs} ms\nstdout: ${stdout}\nstderr: ${stderr}`))
    }, timeoutMs)
    child.once('close', (code, signal) => {
      clearTimeout(timer)
      resolve({code, signal, stderr, stdout})
    })
  })
  expect(result.stdout).to.not.match(TOKEN_SHAPE)
  expect(result.stderr).to.not.match(TOKEN_SHAPE)
  return result
}

/** A real `auth login` against the emulator, approved at once as `email`; answers the new session's id. */
export async function signIn(emu: TestEmulator, state: CliState, email = ME): Promise<string> {
  await emu.control.patchConfig({auto_decide: {account: email, action: 'approve', after_polls: 0}, interval_s: 1})
  const result = await difyctl(['auth', 'login', '--host', emu.url, '--insecure', '--no-browser'], state)
  expect(result.code, result.stderr).to.equal(0)
  await emu.control.patchConfig({auto_decide: null})
  const mine = (await emu.control.sessions()).filter((row) => row.subject_email === email && row.revoked_at === null && row.device_label.startsWith('difyctl on '))
  return mine.at(-1)!.id
}

/** `count` sessions of `email`, each with its own label `<prefix> <n>`. */
export async function seed(emu: TestEmulator, count: number, options: {email?: string; prefix?: string; client_id?: string} = {}): Promise<string[]> {
  const seeds = Array.from({length: count}, (_, index) => ({
    account_email: options.email ?? ME,
    client_id: options.client_id ?? 'difyctl',
    device_label: `${options.prefix ?? 'seeded'} ${index}`,
  }))
  const seeded = await emu.control.seedSessions(seeds)
  return seeded.map((row) => row.id)
}

export async function activeIds(emu: TestEmulator, email = ME): Promise<string[]> {
  return (await emu.control.sessions()).filter((row) => row.subject_email === email && row.revoked_at === null).map((row) => row.id)
}

export async function revokedIds(emu: TestEmulator): Promise<string[]> {
  return (await emu.control.sessions()).filter((row) => row.revoked_by === 'id' || row.revoked_by === 'self').map((row) => row.id)
}

export function hostsYaml(state: CliState): string {
  return readFileSync(path.join(state.configDir, 'hosts.yml'), 'utf8')
}

// tmux describes its own terminal; the test runner's values (often none, or "dumb") must not leak in.
const TERMINAL_OWN = new Set(['TERM', 'TMUX', 'TMUX_PANE', 'COLUMNS', 'LINES', 'CI'])

/**
 * The CLI in a real pseudo-terminal: a private tmux server (its own socket, so nothing else is
 * touched) runs it, a test reads the screen and types. `finish()` answers the exit code and the
 * whole screen; `close()` ends that tmux server.
 */
export class TerminalRun {
  private readonly dir = mkdtempSync(path.join(tmpdir(), 'difyctl-pty-'))
  // The server's socket lives in the run's own directory, so removing that directory leaves nothing behind.
  private readonly socket = path.join(this.dir, 'tmux.sock')
  private readonly exitFile = path.join(this.dir, 'exit')

  constructor(args: readonly string[], state: CliState) {
    const env = cliEnv(state.env)
    const exports = Object.entries(env)
      .filter(([name, value]) => value !== undefined && /^[A-Z_][A-Z0-9_]*$/i.test(name) && !TERMINAL_OWN.has(name))
      .map(([name, value]) => `export ${name}=${shellQuote(value!)}`)
    const script = [
      ...exports,
      `cd ${shellQuote(ROOT)}`,
      `${shellQuote(process.execPath)} ${shellQuote(BIN)} ${args.map(shellQuote).join(' ')}`,
      `echo $? > ${shellQuote(this.exitFile)}`,
      'sleep 60',
    ].join('\n')
    const scriptFile = path.join(this.dir, 'run.sh')
    writeFileSync(scriptFile, script, {mode: 0o700})
    this.tmux('new-session', '-d', '-x', '160', '-y', '50', `bash ${shellQuote(scriptFile)}`)
  }

  screen(): string {
    return this.tmux('capture-pane', '-p', '-S', '-200')
  }

  async waitFor(pattern: RegExp, timeoutMs = 20_000): Promise<string> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const screen = this.screen()
      if (pattern.test(screen)) return screen
      if (existsSync(this.exitFile) || Date.now() > deadline) throw new Error(`screen never showed ${pattern}:\n${screen}`)
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
  }

  type(...keys: string[]): void {
    this.tmux('send-keys', ...keys)
  }

  async finish(timeoutMs = 20_000): Promise<{code: number; screen: string}> {
    const deadline = Date.now() + timeoutMs
    while (!existsSync(this.exitFile) || readFileSync(this.exitFile, 'utf8').trim() === '') {
      if (Date.now() > deadline) throw new Error(`did not finish:\n${this.screen()}`)
      await new Promise((resolve) => setTimeout(resolve, 100))
    }

    return {code: Number(readFileSync(this.exitFile, 'utf8').trim()), screen: this.screen()}
  }

  close(): void {
    try {
      this.tmux('kill-server')
    } catch {
      // Already gone.
    }

    rmSync(this.dir, {force: true, recursive: true})
  }

  private tmux(...args: string[]): string {
    return execFileSync('tmux', ['-S', this.socket, '-f', '/dev/null', ...args], {encoding: 'utf8'})
  }
}

export function shellQuote(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`
}
