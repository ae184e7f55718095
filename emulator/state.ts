import {Clock} from './clock.js'
import {applyKnobsPatch, checkAccountReferences, DEMO_ACCOUNT, defaultKnobs, normalizeAccounts} from './config.js'
import type {Account, AccountInput, Knobs, KnobsPatch} from './config.js'
import {DeviceStore} from './device-store.js'
import {FaultBook} from './faults.js'
import {IdGenerator} from './ids.js'
import {sourceFor} from './random.js'
import {SlidingWindowLimiter} from './rate-limiter.js'
import {RequestLog} from './request-log.js'
import {SessionStore} from './session-store.js'

/** The approval page's signed-in browser: which account it acts as and its current workspace. */
export interface BrowserSession {
  id: string
  /** null follows the `demo_account` knob. */
  accountEmail: string | null
  workspaceId: string | null
}

export interface StateOptions {
  config?: KnobsPatch
  accounts?: AccountInput[]
  /** Human log lines (stderr in the program); never given a token. */
  logger?: (line: string) => void
}

/** Everything one emulator instance remembers. Instances share nothing. */
export class EmulatorState {
  readonly clock = new Clock()
  readonly limiter = new SlidingWindowLimiter(this.clock)
  readonly devices = new DeviceStore(this.clock)
  readonly sessions = new SessionStore(() => this.ids)
  readonly faults = new FaultBook()
  readonly requests = new RequestLog()
  readonly browserSessions = new Map<string, BrowserSession>()
  /** Device codes whose approve is running (protocol §4.5 `approve_in_progress`). */
  readonly approvesInProgress = new Set<string>()
  readonly logger: (line: string) => void
  /** Numbers the labels of seeded sessions that came without one. */
  seededLabels = 0
  knobs: Knobs
  accounts: Account[]
  ids: IdGenerator
  private readonly startKnobs: Knobs
  private readonly startAccounts: Account[]
  private readonly sleepers = new Set<{timer: NodeJS.Timeout; wake: () => void}>()

  constructor(options: StateOptions = {}) {
    this.logger = options.logger ?? (() => {})
    this.knobs = applyKnobsPatch(defaultKnobs(), options.config ?? {})
    this.accounts = options.accounts ? normalizeAccounts(options.accounts) : [structuredClone(DEMO_ACCOUNT)]
    checkAccountReferences(this.knobs, this.accounts)
    this.startKnobs = structuredClone(this.knobs)
    this.startAccounts = structuredClone(this.accounts)
    this.ids = new IdGenerator(sourceFor(this.knobs.seed))
  }

  patchKnobs(patch: unknown): Knobs {
    const next = applyKnobsPatch(this.knobs, patch)
    checkAccountReferences(next, this.accounts)
    const reseed = typeof patch === 'object' && patch !== null && 'seed' in patch
    this.knobs = next
    if (reseed) this.ids = new IdGenerator(sourceFor(next.seed))
    return next
  }

  setAccounts(input: unknown): Account[] {
    const accounts = normalizeAccounts(input)
    checkAccountReferences(this.knobs, accounts)
    this.accounts = accounts
    return accounts
  }

  /** Clears all traffic-made state; with `config`, also restores the start-up knobs and accounts. */
  reset(options: {config?: boolean} = {}): void {
    this.devices.clear()
    this.sessions.clear()
    this.limiter.clear()
    this.faults.clear()
    this.requests.clear()
    this.browserSessions.clear()
    this.clock.reset()
    this.seededLabels = 0
    if (options.config) {
      this.knobs = structuredClone(this.startKnobs)
      this.accounts = structuredClone(this.startAccounts)
    }

    // A seeded emulator replays the same identifiers after a reset.
    this.ids = new IdGenerator(sourceFor(this.knobs.seed))
  }

  findAccount(email: string): Account | undefined {
    const wanted = email.trim().toLowerCase()
    return this.accounts.find((a) => a.email.toLowerCase() === wanted)
  }

  demoAccount(): Account {
    return (this.knobs.demo_account ? this.findAccount(this.knobs.demo_account) : undefined) ?? this.accounts[0]
  }

  browserAccount(session: BrowserSession): Account {
    return (session.accountEmail ? this.findAccount(session.accountEmail) : undefined) ?? this.demoAccount()
  }

  /** A real-time wait that `close()` cuts short, so a stopping server never hangs on it. */
  async sleep(ms: number): Promise<void> {
    if (ms <= 0) return
    await new Promise<void>((resolve) => {
      const sleeper = {
        timer: setTimeout(() => {
          this.sleepers.delete(sleeper)
          resolve()
        }, ms),
        wake: resolve,
      }
      this.sleepers.add(sleeper)
    })
  }

  close(): void {
    for (const sleeper of this.sleepers) {
      clearTimeout(sleeper.timer)
      sleeper.wake()
    }

    this.sleepers.clear()
  }
}
