import type {AddressInfo} from 'node:net'

import {createEmulatorServer} from './server.js'
import {EmulatorState} from './state.js'
import type {AccountInput, KnobsPatch} from './config.js'

export type {Account, AccountInput, AutoDecide, Bucket, Knobs, KnobsPatch, RateLimit, Workspace} from './config.js'
export type {ClockView, ControlDeviceCodeView, ControlSessionView} from './control-api.js'
export type {Fault, FaultSpec} from './faults.js'
export type {RequestLogEntry} from './request-log.js'
export {DEMO_ACCOUNT, defaultKnobs} from './config.js'

export type LoopbackHost = '127.0.0.1' | '::1'

export interface EmulatorOptions {
  /** 0 or absent: a free port. */
  port?: number
  host?: LoopbackHost
  config?: KnobsPatch
  accounts?: AccountInput[]
  /** Human log lines (the program sends them to stderr); never carries a token. */
  logger?: (line: string) => void
  /** Log one line per logged request through `logger`. */
  verbose?: boolean
}

export interface RunningEmulator {
  url: string
  port: number
  close(): Promise<void>
}

export const LOOPBACK_HOSTS: readonly string[] = ['127.0.0.1', '::1']

/** Starts one emulator with its own in-memory state; several may run side by side. */
export async function startEmulator(options: EmulatorOptions = {}): Promise<RunningEmulator> {
  const host = options.host ?? '127.0.0.1'
  if (!LOOPBACK_HOSTS.includes(host)) throw new Error(`refusing to bind ${String(host)}: the emulator listens on loopback only (127.0.0.1 or ::1)`)
  const state = new EmulatorState({accounts: options.accounts, config: options.config, logger: options.logger})
  const server = createEmulatorServer(state, {verbose: options.verbose})
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject)
      resolve()
    })
  })
  const {port} = server.address() as AddressInfo
  const url = host === '::1' ? `http://[::1]:${port}` : `http://127.0.0.1:${port}`
  let closing: Promise<void> | undefined
  return {
    close() {
      closing ??= new Promise<void>((resolve) => {
        state.close()
        server.close(() => resolve())
        server.closeAllConnections()
      })
      return closing
    },
    port,
    url,
  }
}
