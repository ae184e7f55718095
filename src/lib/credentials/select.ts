import type {Dirs} from '../config/dirs.js'
import type {TokenStorage} from '../config/hosts.js'
import {DifyError} from '../errors/dify-error.js'
import type {Clock, Env} from '../io/system.js'
import type {CredentialRef, CredentialStore} from './credential-store.js'
import {KeychainStore, type KeyringLoader, KeyringUnavailableError} from './keychain.js'
import {SealedFileStore} from './sealed-file.js'

/** DIFY_TOKEN_STORAGE: where `auth login` puts a new token. Later commands follow hosts.yml instead. */
export type StorageMode = 'auto' | 'keychain' | 'file'

export const STORAGE_MODES: readonly StorageMode[] = ['auto', 'keychain', 'file']

/** Unset or empty means auto; case and surrounding spaces are forgiven; anything else is a usage error. */
export function parseStorageMode(env: Env): StorageMode {
  const raw = env.DIFY_TOKEN_STORAGE
  const value = (raw ?? '').trim().toLowerCase()
  if (value === '') return 'auto'
  if ((STORAGE_MODES as readonly string[]).includes(value)) return value as StorageMode
  throw new DifyError('usage_error', `DIFY_TOKEN_STORAGE must be one of ${STORAGE_MODES.join(', ')} (got "${raw}")`, {
    hint: 'unset it to let difyctl choose, or set DIFY_TOKEN_STORAGE=file to skip the OS credential store',
  })
}

export interface SaveResult {
  storage: TokenStorage
  /** One line for stderr when the token did not go where the user would expect. */
  warning?: string
}

export interface SaveTokenForLoginOptions {
  ref: CredentialRef
  token: string
  mode: StorageMode
  keychain: CredentialStore
  /** `path` names the file in the warning when present. */
  sealed: CredentialStore & {readonly path?: string}
}

/**
 * Stores a freshly issued token and answers where it went, which the caller records in hosts.yml so
 * that later commands read from that store without probing.
 * - `file`: the sealed file; the keychain is never touched.
 * - `keychain`: the keychain, and its unavailability is the error.
 * - `auto`: the keychain; when it is unavailable (and only then — any other failure is reported) the
 *   sealed file, with one warning line saying why and where the token went.
 */
export async function saveTokenForLogin(options: SaveTokenForLoginOptions): Promise<SaveResult> {
  const {keychain, mode, ref, sealed, token} = options
  if (mode === 'file') {
    await sealed.set(ref, token)
    return {storage: 'sealed-file'}
  }

  try {
    await keychain.set(ref, token)
    return {storage: 'keychain'}
  } catch (error) {
    if (mode === 'keychain' || !(error instanceof DifyError) || error.code !== 'keyring_unavailable') throw error
    await sealed.set(ref, token)
    const reason = error instanceof KeyringUnavailableError ? error.reason : error.message
    const where = sealed.path ? `the sealed file ${sealed.path}` : 'the sealed file'
    return {
      storage: 'sealed-file',
      warning: `warning: the OS credential store is unavailable (${reason}); the token was saved in ${where} instead (DIFY_TOKEN_STORAGE=file skips this attempt)`,
    }
  }
}

/** Both backends for one invocation, plus the login-time choice between them. */
export interface CredentialStores {
  /** The backend recorded for a context in hosts.yml. */
  storeFor(kind: TokenStorage): CredentialStore
  /** `saveTokenForLogin` with the mode from DIFY_TOKEN_STORAGE (read, and validated, at this call). */
  saveForLogin(ref: CredentialRef, token: string): Promise<SaveResult>
  /** Whether the token is still there; undefined when the store cannot be reached right now. */
  tokenPresent(ref: CredentialRef, storage: TokenStorage): Promise<boolean | undefined>
  /**
   * Fails now if a token could not be stored after a sign-in: a bad DIFY_TOKEN_STORAGE, an
   * unreachable keychain in `keychain` mode, a corrupt sealed file. Checked before the device flow
   * starts, because the server retires the previous session the moment the new one is approved.
   */
  checkBeforeLogin(): Promise<void>
}

/** A lookup that changes nothing: only whether the store answers matters. */
const PROBE: CredentialRef = {account: 'probe', host: 'difyctl.invalid'}

export interface CreateCredentialStoresOptions {
  dirs: Dirs
  env: Env
  clock: Clock
  /** Test seam for the keychain's native binding. */
  loadKeyring?: KeyringLoader
}

/**
 * Builds the backends on first use. Neither constructor does I/O, and the keychain loads its native
 * binding only when a call reaches it, so a command that reads only sealed tokens never loads it.
 */
export function createCredentialStores(options: CreateCredentialStoresOptions): CredentialStores {
  let keychain: KeychainStore | undefined
  let sealed: SealedFileStore | undefined
  const keychainStore = () => (keychain ??= new KeychainStore({clock: options.clock, loadBinding: options.loadKeyring}))
  const sealedStore = () =>
    (sealed ??= new SealedFileStore({clock: options.clock, configDir: options.dirs.configDir, dataDir: options.dirs.dataDir}))
  const storeFor = (kind: TokenStorage): CredentialStore => (kind === 'keychain' ? keychainStore() : sealedStore())
  return {
    async checkBeforeLogin() {
      const mode = parseStorageMode(options.env)
      if (mode !== 'file') {
        try {
          await keychainStore().get(PROBE)
          return
        } catch (error) {
          if (mode === 'keychain' || !(error instanceof DifyError) || error.code !== 'keyring_unavailable') throw error
        }
      }

      await sealedStore().get(PROBE)
    },
    async saveForLogin(ref, token) {
      const mode = parseStorageMode(options.env)
      return saveTokenForLogin({keychain: keychainStore(), mode, ref, sealed: sealedStore(), token})
    },
    storeFor,
    async tokenPresent(ref, storage) {
      try {
        return (await storeFor(storage).get(ref)) !== null
      } catch (error) {
        if (error instanceof DifyError && error.code === 'keyring_unavailable') return undefined
        throw error
      }
    },
  }
}
