import {DifyError} from '../errors/dify-error.js'
import type {Clock} from '../io/system.js'
import type {CredentialRef, CredentialStore} from './credential-store.js'

/** The part of @napi-rs/keyring 2.x this store uses; unit tests inject a fake. */
export interface KeyringEntry {
  getPassword(signal?: AbortSignal | null): Promise<string | null>
  setPassword(password: string, signal?: AbortSignal | null): Promise<void>
  deletePassword(signal?: AbortSignal | null): Promise<boolean>
}

export interface KeyringEntryOptions {
  linux?: {store?: 'secret-service' | 'keyutils'}
}

export interface KeyringBinding {
  AsyncEntry: new (service: string, account: string, options?: KeyringEntryOptions) => KeyringEntry
}

export type KeyringLoader = () => Promise<KeyringBinding>

export const KEYCHAIN_SERVICE = 'difyctl'
export const KEYCHAIN_TIMEOUT_MS = 3000

/**
 * Pinned to the Secret Service on Linux. Unpinned, the binding silently falls back to the kernel
 * keyutils store: volatile (gone at logout or reboot) and, where it is refused, it leaves stray keys.
 * With the pin, a missing Secret Service makes the constructor throw, which is the signal to use the
 * sealed file. The option is ignored on macOS and Windows.
 */
const ENTRY_OPTIONS: KeyringEntryOptions = {linux: {store: 'secret-service'}}

/**
 * The keychain item for a token: service `difyctl`, account `<host>/<email>`, e.g.
 * `dify.example.com:8443/ada@example.com`. The host part is the hosts.yml key (`host[:port]`,
 * lower-case), which never contains `/`, so the first `/` always separates the two halves. Changing
 * this scheme orphans every stored token, so it is fixed.
 */
export function keychainAccount(ref: CredentialRef): string {
  return `${ref.host}/${ref.account}`
}

/** `keyring_unavailable`, with the bare reason kept apart for the one-line fallback warning. */
export class KeyringUnavailableError extends DifyError {
  readonly reason: string

  constructor(reason: string, hint: string, cause?: unknown) {
    super('keyring_unavailable', `the OS credential store is unavailable: ${reason}`, {cause, hint})
    this.name = 'KeyringUnavailableError'
    this.reason = reason
  }
}

const FALLBACK_HINT = 'or set DIFY_TOKEN_STORAGE=file to keep tokens in the sealed file instead'

/**
 * Turns what the binding throws into a reason a person can act on. The texts matched are the ones
 * measured with @napi-rs/keyring 2.1 on Linux (see setup-notes.md); anything else keeps the binding's
 * own words.
 */
function explain(message: string): {reason: string; hint: string} {
  if (/DBUS_SESSION_BUS_ADDRESS/.test(message)) {
    return {hint: `run difyctl inside a desktop or D-Bus session with a Secret Service, ${FALLBACK_HINT}`, reason: 'no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS is not set)'}
  }

  if (/Failed to connect to socket/i.test(message)) {
    return {hint: `check DBUS_SESSION_BUS_ADDRESS (it may be left over from an old session), ${FALLBACK_HINT}`, reason: 'the D-Bus session bus cannot be reached'}
  }

  if (/ServiceUnknown|org\.freedesktop\.secrets/i.test(message)) {
    return {hint: `start a Secret Service such as gnome-keyring or KeePassXC, ${FALLBACK_HINT}`, reason: 'no Secret Service is running on the session bus'}
  }

  if (/unlock prompt was dismissed|locked/i.test(message)) {
    return {hint: `unlock your keyring (for example by logging in to the desktop session), ${FALLBACK_HINT}`, reason: 'the keyring is locked or not answering'}
  }

  if (/no result found/i.test(message)) {
    return {hint: `create or unlock a default ("login") keyring, ${FALLBACK_HINT}`, reason: 'the Secret Service has no default keyring to store into'}
  }

  if (/Did not receive a reply/i.test(message)) {
    return {hint: `restart your keyring daemon, ${FALLBACK_HINT}`, reason: 'the Secret Service did not answer'}
  }

  return {hint: `check that your OS credential store works, ${FALLBACK_HINT}`, reason: message.trim() || 'unknown error'}
}

function unavailable(error: unknown): DifyError {
  if (error instanceof DifyError) return error
  const message = error instanceof Error ? error.message : String(error)
  const {hint, reason} = explain(message)
  return new KeyringUnavailableError(reason, hint, error)
}

export interface KeychainStoreOptions {
  /** Drives the per-call timeout. */
  clock: Clock
  /** Defaults to a dynamic import of @napi-rs/keyring, done on the first call only. */
  loadBinding?: KeyringLoader
  timeoutMs?: number
}

const TIMED_OUT = Symbol('timed out')

/**
 * Tokens in the OS credential store (Keychain, Credential Manager, Secret Service) through
 * @napi-rs/keyring. The native binding is imported on first use, so commands that never touch a
 * token never load it.
 *
 * Every call is bounded by `timeoutMs` (3 s): on a desktop, a locked keyring answers a read with an
 * unlock prompt and blocks until someone reacts. The binding gets an AbortSignal and the call also
 * races a timer, because the signal is not honoured at every stage. Limits, measured: the native call
 * a timeout abandons keeps running on a worker thread until the D-Bus library gives up (its own
 * reply timeout, about 2 s here), which may delay a process that waits for its event loop to drain;
 * and the binding's constructor connects to the bus synchronously, so a bus that accepts the
 * connection and then never answers (a frozen dbus-daemon) blocks the thread where no timer can fire.
 * A dead or absent bus, a missing or unresponsive Secret Service and a locked keyring all fail fast.
 */
export class KeychainStore implements CredentialStore {
  readonly kind = 'keychain' as const
  private readonly timeoutMs: number
  private readonly loadBinding: KeyringLoader
  private bindingPromise?: Promise<KeyringBinding>

  constructor(private readonly options: KeychainStoreOptions) {
    this.timeoutMs = options.timeoutMs ?? KEYCHAIN_TIMEOUT_MS
    this.loadBinding = options.loadBinding ?? (() => import('@napi-rs/keyring'))
  }

  /** null only when the store answered and holds no such item. */
  get(ref: CredentialRef): Promise<string | null> {
    return this.call(ref, (entry, signal) => entry.getPassword(signal))
  }

  set(ref: CredentialRef, token: string): Promise<void> {
    return this.call(ref, (entry, signal) => entry.setPassword(token, signal))
  }

  /** false when there was nothing to delete; a store that could not be asked throws instead. */
  delete(ref: CredentialRef): Promise<boolean> {
    return this.call(ref, (entry, signal) => entry.deletePassword(signal))
  }

  private binding(): Promise<KeyringBinding> {
    this.bindingPromise ??= this.loadBinding().catch((error: unknown) => {
      const message = error instanceof Error ? error.message : String(error)
      throw new KeyringUnavailableError(
        `the native keyring module could not be loaded (${message})`,
        `reinstall difyctl for this platform, ${FALLBACK_HINT}`,
        error,
      )
    })
    return this.bindingPromise
  }

  private async call<T>(ref: CredentialRef, run: (entry: KeyringEntry, signal: AbortSignal) => Promise<T>): Promise<T> {
    const controller = new AbortController()
    const work = (async () => {
      const binding = await this.binding()
      // The constructor is where a missing bus or Secret Service shows up (it throws).
      const entry = new binding.AsyncEntry(KEYCHAIN_SERVICE, keychainAccount(ref), ENTRY_OPTIONS)
      return run(entry, controller.signal)
    })()
    const timer = this.options.clock.sleep(this.timeoutMs, controller.signal).then(() => TIMED_OUT)
    try {
      const outcome = await Promise.race([work, timer])
      if (outcome === TIMED_OUT) {
        const seconds = Math.round(this.timeoutMs / 100) / 10
        throw new KeyringUnavailableError(
          `it did not answer within ${seconds} s`,
          `if your keyring is locked, unlock it (an unlock prompt may be waiting), ${FALLBACK_HINT}`,
        )
      }

      return outcome as T
    } catch (error) {
      throw unavailable(error)
    } finally {
      controller.abort()
    }
  }
}
