import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {HostsStore} from '../../src/lib/config/hosts-store.js'
import {systemClock} from '../../src/lib/io/system.js'
import type {CliState} from '../../test/support/cli.js'
import {hostsWith} from '../../test/support/fakes.js'
import {seedTokens} from '../../test/support/seed.js'

/**
 * Private state for the benchmark: config and data dirs per scenario, plus empty XDG dirs so that
 * oclif finds no user-installed plugins and no user config of the machine it runs on (the figures
 * are for difyctl as shipped, not for whatever someone linked into their own data dir).
 */
export interface BenchDirs {
  base: string
  xdg: Record<string, string>
  cleanup(): void
}

export function benchDirs(): BenchDirs {
  const base = mkdtempSync(path.join(tmpdir(), 'difyctl-bench-'))
  const xdg = {
    XDG_CACHE_HOME: path.join(base, 'xdg', 'cache'),
    XDG_CONFIG_HOME: path.join(base, 'xdg', 'config'),
    XDG_DATA_HOME: path.join(base, 'xdg', 'data'),
  }
  return {base, cleanup: () => rmSync(base, {force: true, recursive: true}), xdg}
}

export function stateIn(dirs: BenchDirs, name: string): CliState {
  const configDir = path.join(dirs.base, name, 'config')
  const dataDir = path.join(dirs.base, name, 'data')
  return {
    cleanup: () => rmSync(path.join(dirs.base, name), {force: true, recursive: true}),
    configDir,
    dataDir,
    env: {DIFY_CONFIG_DIR: configDir, DIFY_DATA_DIR: dataDir, DIFY_TOKEN_STORAGE: 'file'},
  }
}

/**
 * `count` signed-in contexts (ten accounts per host), written through the project's own hosts
 * store and sealed-file store, i.e. the files a thousand real sign-ins would leave behind. The
 * active context is the first one.
 */
export async function seedLocalContexts(state: CliState, count: number): Promise<{active: {host: string; email: string}}> {
  const contexts = Array.from({length: count}, (_, index) => {
    const host = `dify-${String(Math.floor(index / 10)).padStart(3, '0')}.example.com`
    return {baseUrl: `https://${host}`, email: `user-${index % 10}@example.com`, host, name: `User ${index}`}
  })
  const file = hostsWith(contexts, {email: contexts[0].email, host: contexts[0].host})
  const store = new HostsStore({clock: systemClock, configDir: state.configDir})
  await store.update((draft) => {
    draft.currentHost = file.currentHost
    draft.hosts = file.hosts
  })
  await seedTokens(state, file)
  return {active: {email: contexts[0].email, host: contexts[0].host}}
}
