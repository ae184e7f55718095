import {expect} from 'chai'
import {readdirSync, readFileSync, statSync} from 'node:fs'
import path from 'node:path'

import {type CliResult, type CliState, runCli, type RunOptions} from './cli.js'
import type {TestEmulator} from './emulator.js'

/** Signs in to an emulator through the real CLI; the emulator approves on the first poll as `email`. */
export async function loginAs(emulator: TestEmulator, state: CliState, email?: string, options: RunOptions = {}): Promise<CliResult> {
  await emulator.control.patchConfig({auto_decide: {account: email ?? null, action: 'approve', after_polls: 1}, interval_s: 1})
  const result = await runCli(['auth', 'login', '--host', emulator.url, '--insecure', '--no-browser'], {
    ...options,
    env: {...state.env, ...options.env},
  })
  expect(result.code, `login failed:\n${result.stderr}`).to.equal(0)
  return result
}

/** Every file below the state's dirs, with content, for "the token is nowhere on disk" checks. */
export function filesUnder(...roots: string[]): Array<{file: string; content: Buffer; mode: number}> {
  const found: Array<{file: string; content: Buffer; mode: number}> = []
  const walk = (dir: string) => {
    let entries
    try {
      entries = readdirSync(dir, {withFileTypes: true})
    } catch {
      return
    }

    for (const entry of entries) {
      const full = path.join(dir, entry.name)
      if (entry.isDirectory()) walk(full)
      else found.push({content: readFileSync(full), file: full, mode: statSync(full).mode & 0o777})
    }
  }

  for (const root of roots) walk(root)
  return found
}

/** Asserts a secret appears nowhere in what a run printed. */
export function expectNotPrinted(result: CliResult, secret: string): void {
  expect(result.stdout, 'token on stdout').not.to.include(secret)
  expect(result.stderr, 'token on stderr').not.to.include(secret)
}
