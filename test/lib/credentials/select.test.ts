import {expect} from 'chai'
import path from 'node:path'

import type {CredentialRef, CredentialStore} from '../../../src/lib/credentials/credential-store.js'
import {type KeyringBinding, KeyringUnavailableError} from '../../../src/lib/credentials/keychain.js'
import {createCredentialStores, parseStorageMode, saveTokenForLogin} from '../../../src/lib/credentials/select.js'
import {DifyError} from '../../../src/lib/errors/dify-error.js'
import {systemClock} from '../../../src/lib/io/system.js'
import {tempDir} from '../config/fixtures/process.js'
import {failure} from '../../support/failure.js'

const REF = {account: 'ada@example.com', host: 'dify.example.com'}

/** An in-memory store that records calls; `fail` makes every call throw it. */
class MemoryStore implements CredentialStore {
  readonly items = new Map<string, string>()
  readonly calls: string[] = []
  constructor(
    readonly kind: 'keychain' | 'sealed-file',
    private readonly fail?: () => Error,
    readonly path?: string,
  ) {}

  async get(ref: CredentialRef) {
    this.calls.push('get')
    if (this.fail) throw this.fail()
    return this.items.get(`${ref.host}/${ref.account}`) ?? null
  }

  async set(ref: CredentialRef, token: string) {
    this.calls.push('set')
    if (this.fail) throw this.fail()
    this.items.set(`${ref.host}/${ref.account}`, token)
  }

  async delete(ref: CredentialRef) {
    this.calls.push('delete')
    if (this.fail) throw this.fail()
    return this.items.delete(`${ref.host}/${ref.account}`)
  }
}

/** A keychain that fails the test if anything touches it. */
const untouchable: CredentialStore = {
  delete: () => expect.fail('the keychain must not be touched'),
  get: () => expect.fail('the keychain must not be touched'),
  kind: 'keychain',
  set: () => expect.fail('the keychain must not be touched'),
}

const locked = () => new KeyringUnavailableError('the keyring is locked', 'unlock it')


describe('credential selection', () => {
  describe('parseStorageMode', () => {
    it('defaults to auto, and forgives case and spaces', () => {
      expect(parseStorageMode({})).to.equal('auto')
      expect(parseStorageMode({DIFY_TOKEN_STORAGE: ''})).to.equal('auto')
      expect(parseStorageMode({DIFY_TOKEN_STORAGE: 'keychain'})).to.equal('keychain')
      expect(parseStorageMode({DIFY_TOKEN_STORAGE: ' File '})).to.equal('file')
      expect(parseStorageMode({DIFY_TOKEN_STORAGE: 'AUTO'})).to.equal('auto')
    })

    it('given another value, fails with usage_error naming the allowed values', () => {
      let error: unknown
      try {
        parseStorageMode({DIFY_TOKEN_STORAGE: 'plaintext'})
      } catch (error_) {
        error = error_
      }

      expect(error).to.be.instanceOf(DifyError)
      expect((error as DifyError).code).to.equal('usage_error')
      expect((error as DifyError).exitCode).to.equal(2)
      expect((error as DifyError).message).to.include('auto, keychain, file').and.include('"plaintext"')
    })
  })

  describe('saveTokenForLogin', () => {
    it('given auto and a working keychain, stores there without a warning', async () => {
      const keychain = new MemoryStore('keychain')
      const sealed = new MemoryStore('sealed-file')
      expect(await saveTokenForLogin({keychain, mode: 'auto', ref: REF, sealed, token: 't'})).to.deep.equal({storage: 'keychain'})
      expect(keychain.items.get('dify.example.com/ada@example.com')).to.equal('t')
      expect(sealed.calls).to.deep.equal([])
    })

    it('given auto and an unavailable keychain, seals the token and warns in exactly one line', async () => {
      const keychain = new MemoryStore('keychain', locked)
      const sealed = new MemoryStore('sealed-file', undefined, '/home/ada/.config/difyctl/credentials.sealed')
      const result = await saveTokenForLogin({keychain, mode: 'auto', ref: REF, sealed, token: 't'})
      expect(result.storage).to.equal('sealed-file')
      expect(sealed.items.get('dify.example.com/ada@example.com')).to.equal('t')
      expect(result.warning).to.be.a('string')
      expect(result.warning!.split('\n')).to.have.length(1)
      expect(result.warning).to.match(/^warning: the OS credential store is unavailable \(the keyring is locked\)/)
      expect(result.warning).to.include('/home/ada/.config/difyctl/credentials.sealed')
    })

    it('given auto and a keychain failing otherwise, reports that failure and seals nothing', async () => {
      const keychain = new MemoryStore('keychain', () => new DifyError('io_error', 'something else'))
      const sealed = new MemoryStore('sealed-file')
      const error = await failure(saveTokenForLogin({keychain, mode: 'auto', ref: REF, sealed, token: 't'}))
      expect(error.code).to.equal('io_error')
      expect(sealed.calls).to.deep.equal([])
    })

    it('given keychain mode and an unavailable keychain, fails with keyring_unavailable and seals nothing', async () => {
      const keychain = new MemoryStore('keychain', locked)
      const sealed = new MemoryStore('sealed-file')
      const error = await failure(saveTokenForLogin({keychain, mode: 'keychain', ref: REF, sealed, token: 't'}))
      expect(error.code).to.equal('keyring_unavailable')
      expect(sealed.calls).to.deep.equal([])
    })

    it('given file mode, seals without touching the keychain', async () => {
      const sealed = new MemoryStore('sealed-file')
      expect(await saveTokenForLogin({keychain: untouchable, mode: 'file', ref: REF, sealed, token: 't'})).to.deep.equal({storage: 'sealed-file'})
      expect(sealed.items.size).to.equal(1)
    })
  })

  describe('createCredentialStores', () => {
    let base: string
    let cleanup: () => Promise<void>
    beforeEach(async () => ({cleanup, dir: base} = await tempDir()))
    afterEach(() => cleanup())

    const dirs = () => ({configDir: path.join(base, 'config'), dataDir: path.join(base, 'data')})
    // The keychain turns a failed load into keyring_unavailable, so count loads rather than throw.
    let keyringLoads = 0
    beforeEach(() => (keyringLoads = 0))
    const noKeyring = async (): Promise<KeyringBinding> => {
      keyringLoads++
      throw new Error('the keyring binding must not be loaded')
    }
    const deadKeyring = async (): Promise<KeyringBinding> => ({
      AsyncEntry: class {
        constructor() {
          throw new Error('Platform failure: DBus error: Using X11 for dbus-daemon autolaunch was disabled at compile time, set your DBUS_SESSION_BUS_ADDRESS instead')
        }
      } as unknown as KeyringBinding['AsyncEntry'],
    })

    it('given DIFY_TOKEN_STORAGE=file, seals into the config dir and never loads the keyring', async () => {
      const stores = createCredentialStores({clock: systemClock, dirs: dirs(), env: {DIFY_TOKEN_STORAGE: 'file'}, loadKeyring: noKeyring})
      expect(await stores.saveForLogin(REF, 'tok')).to.deep.equal({storage: 'sealed-file'})
      expect(await stores.storeFor('sealed-file').get(REF)).to.equal('tok')
      expect(await stores.tokenPresent(REF, 'sealed-file')).to.equal(true)
      expect(await stores.tokenPresent({...REF, account: 'other@example.com'}, 'sealed-file')).to.equal(false)
      expect(keyringLoads).to.equal(0)
    })

    it('given auto without a Secret Service, falls back to the sealed file with one warning naming it', async () => {
      const stores = createCredentialStores({clock: systemClock, dirs: dirs(), env: {}, loadKeyring: deadKeyring})
      const result = await stores.saveForLogin(REF, 'tok')
      expect(result.storage).to.equal('sealed-file')
      expect(result.warning).to.include('no D-Bus session bus').and.include(path.join(base, 'config', 'credentials.sealed'))
      expect(await stores.storeFor('sealed-file').get(REF)).to.equal('tok')
    })

    it('answers tokenPresent undefined when the keychain cannot be reached', async () => {
      const stores = createCredentialStores({clock: systemClock, dirs: dirs(), env: {}, loadKeyring: deadKeyring})
      expect(await stores.tokenPresent(REF, 'keychain')).to.equal(undefined)
    })

    it('given a bad DIFY_TOKEN_STORAGE, fails the login save with usage_error before touching any store', async () => {
      const stores = createCredentialStores({clock: systemClock, dirs: dirs(), env: {DIFY_TOKEN_STORAGE: 'yes'}, loadKeyring: noKeyring})
      const error = await failure(stores.saveForLogin(REF, 'tok'))
      expect(error.code).to.equal('usage_error')
      expect(await stores.storeFor('sealed-file').get(REF)).to.equal(null)
      expect(keyringLoads).to.equal(0)
    })

    it('hands out the backend recorded for a context', () => {
      const stores = createCredentialStores({clock: systemClock, dirs: dirs(), env: {}, loadKeyring: noKeyring})
      expect(stores.storeFor('keychain').kind).to.equal('keychain')
      expect(stores.storeFor('sealed-file').kind).to.equal('sealed-file')
      expect(stores.storeFor('keychain')).to.equal(stores.storeFor('keychain'))
      expect(keyringLoads).to.equal(0)
    })
  })
})
