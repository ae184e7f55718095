import {emptyHostsFile, type HostsAccess, type HostsFile} from '../../src/lib/config/hosts.js'
import type {Choice, Prompter} from '../../src/lib/io/prompter.js'
import type {Clock} from '../../src/lib/io/system.js'

/**
 * hosts.yml in memory; `writes` counts updates that changed the file (like HostsStore, which skips
 * the write when nothing changed), so tests can assert "nothing written".
 */
export class MemoryHosts implements HostsAccess {
  writes = 0
  constructor(public file: HostsFile = emptyHostsFile()) {}

  async read(): Promise<HostsFile> {
    return structuredClone(this.file)
  }

  async update<T>(mutate: (file: HostsFile) => T | Promise<T>): Promise<T> {
    const draft = structuredClone(this.file)
    const result = await mutate(draft)
    if (JSON.stringify(draft) !== JSON.stringify(this.file)) {
      this.file = draft
      this.writes++
    }

    return result
  }
}

/**
 * A clock that only moves when the code under test sleeps. `speed` below 1 makes sleeps end early
 * by that factor relative to what was asked, to imitate timers that run fast.
 */
export class ManualClock implements Clock {
  readonly sleeps: number[] = []
  constructor(
    public nowMs = Date.UTC(2026, 5, 2, 9, 0, 0),
    private readonly speed = 1,
  ) {}

  now(): number {
    return this.nowMs
  }

  async sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) throw signal.reason
    this.sleeps.push(ms)
    this.nowMs += ms * this.speed
  }
}

/** A prompter that answers from a script and fails the test when asked something unexpected. */
export class ScriptedPrompter implements Prompter {
  readonly asked: string[] = []
  constructor(private readonly answers: unknown[] = []) {}

  async confirm(message: string): Promise<boolean> {
    return this.next(message) as boolean
  }

  async input(message: string): Promise<string> {
    return this.next(message) as string
  }

  async select<T>(message: string, _choices: ReadonlyArray<Choice<T>>): Promise<T> {
    return this.next(message) as T
  }

  private next(message: string): unknown {
    this.asked.push(message)
    if (this.answers.length === 0) throw new Error(`unexpected prompt: ${message}`)
    const answer = this.answers.shift()
    if (answer instanceof Error) throw answer
    return answer
  }
}

export function hostsWith(
  contexts: Array<{host: string; email: string; name?: string; baseUrl?: string; token?: boolean; accountId?: string}>,
  active?: {host: string; email: string},
): HostsFile {
  const file = emptyHostsFile()
  for (const context of contexts) {
    const entry = (file.hosts[context.host] ??= {accounts: {}, baseUrl: context.baseUrl ?? `https://${context.host}`, currentAccount: null})
    entry.accounts[context.email] = {
      accountId: context.accountId ?? `id-${context.email}`,
      email: context.email,
      name: context.name ?? context.email.split('@')[0],
      subjectIssuer: null,
      subjectType: 'account',
      tokenExpiresAt: null,
      tokenId: `token-${context.email}`,
      tokenStorage: context.token === false ? null : 'sealed-file',
      workspace: {id: 'w1', name: 'Acme'},
    }
    entry.currentAccount ??= context.token === false ? null : context.email
  }

  if (active) {
    file.currentHost = active.host
    file.hosts[active.host].currentAccount = active.email
  } else {
    file.currentHost = contexts[0]?.host ?? null
  }

  return file
}
