import {spawn} from 'node:child_process'
import {readFileSync} from 'node:fs'
import path from 'node:path'

import {expect} from 'chai'

import {type CliResult, type CliState, cliEnv, ROOT, runCli, type RunOptions} from './cli.js'
import type {TestEmulator} from './emulator.js'

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
