import {execFileSync} from 'node:child_process'
import {existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {BIN, type CliState, cliEnv, ROOT} from './cli.js'

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
