import {HostsStore} from '../../src/lib/config/hosts-store.js'
import type {HostsFile} from '../../src/lib/config/hosts.js'
import {systemClock} from '../../src/lib/io/system.js'
import {type CliState, tempState} from './cli.js'
import {seedTokens} from './seed.js'

/**
 * For in-process command tests (@oclif/test's runCommand): points the process at a private config
 * and data dir for the duration of one test, and restores the environment afterwards.
 */
export function useTempState(): {state(): CliState; seed(file: HostsFile): Promise<void>} {
  let current: CliState | undefined
  let saved: Record<string, string | undefined> = {}
  beforeEach(() => {
    current = tempState()
    saved = {}
    for (const [name, value] of Object.entries({...current.env, DIFY_ACCOUNT: undefined, DIFY_HOST: undefined, NO_COLOR: '1'})) {
      saved[name] = process.env[name]
      if (value === undefined) delete process.env[name]
      else process.env[name] = value
    }
  })
  afterEach(() => {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name]
      else process.env[name] = value
    }

    current?.cleanup()
  })
  return {
    async seed(file) {
      await new HostsStore({clock: systemClock, configDir: current!.configDir}).update((draft) => Object.assign(draft, file))
      await seedTokens(current!, file)
    },
    state: () => current!,
  }
}
