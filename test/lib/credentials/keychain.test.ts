import {expect} from 'chai'
import path from 'node:path'

import {type KeyringBinding, type KeyringEntry, type KeyringEntryOptions, KeychainStore, keychainAccount} from '../../../src/lib/credentials/keychain.js'
import {DifyError} from '../../../src/lib/errors/dify-error.js'
import {systemClock} from '../../../src/lib/io/system.js'
import {runFixture} from '../config/fixtures/process.js'
import {failure} from '../../support/failure.js'

const REF = {account: 'ada@example.com', host: 'dify.example.com:8443'}

interface Created {
  service: string
  account: string
  options?: KeyringEntryOptions
}

/** A binding whose entries do what `behave` says, recording how they were built. */
function fakeBinding(behave: Partial<KeyringEntry> & {construct?: () => void}): {binding: KeyringBinding; created: Created[]} {
  const created: Created[] = []
  class AsyncEntry implements KeyringEntry {
    constructor(service: string, account: string, options?: KeyringEntryOptions) {
      created.push({account, options, service})
      behave.construct?.()
    }

    getPassword(signal?: AbortSignal | null) {
      return behave.getPassword ? behave.getPassword(signal) : Promise.resolve(null)
    }

    setPassword(password: string, signal?: AbortSignal | null) {
      return behave.setPassword ? behave.setPassword(password, signal) : Promise.resolve()
    }

    deletePassword(signal?: AbortSignal | null) {
      return behave.deletePassword ? behave.deletePassword(signal) : Promise.resolve(false)
    }
  }

  return {binding: {AsyncEntry}, created}
}


function storeWith(binding: KeyringBinding, timeoutMs?: number): KeychainStore {
  return new KeychainStore({clock: systemClock, loadBinding: async () => binding, timeoutMs})
}

describe('KeychainStore (injected binding)', () => {
  it('names the item service difyctl, account <host>/<email>, pinned to the Secret Service', async () => {
    const {binding, created} = fakeBinding({})
    await storeWith(binding).get(REF)
    expect(keychainAccount(REF)).to.equal('dify.example.com:8443/ada@example.com')
    expect(created).to.deep.equal([{account: 'dify.example.com:8443/ada@example.com', options: {linux: {store: 'secret-service'}}, service: 'difyctl'}])
  })

  it('loads the binding on the first call only, and once', async () => {
    let loads = 0
    const {binding} = fakeBinding({})
    const store = new KeychainStore({
      clock: systemClock,
      async loadBinding() {
        loads++
        return binding
      },
    })
    expect(loads).to.equal(0)
    await Promise.all([store.get(REF), store.get(REF), store.delete(REF)])
    expect(loads).to.equal(1)
  })

  it('passes values through: a missing item is null, deleting a missing item is false', async () => {
    const saved: string[] = []
    const {binding} = fakeBinding({
      deletePassword: async () => false,
      getPassword: async () => null,
      setPassword: async (password) => {
        saved.push(password)
      },
    })
    const store = storeWith(binding)
    expect(await store.get(REF)).to.equal(null)
    expect(await store.delete(REF)).to.equal(false)
    await store.set(REF, 'tok')
    expect(saved).to.deep.equal(['tok'])
  })

  const failures: Array<{name: string; thrown: string; where: 'construct' | 'get' | 'set'; reason: RegExp; hint: RegExp}> = [
    {
      hint: /DIFY_TOKEN_STORAGE=file/,
      name: 'no D-Bus',
      reason: /no D-Bus session bus/,
      thrown: 'Platform failure: DBus error: Using X11 for dbus-daemon autolaunch was disabled at compile time, set your DBUS_SESSION_BUS_ADDRESS instead',
      where: 'construct',
    },
    {
      hint: /DBUS_SESSION_BUS_ADDRESS/,
      name: 'a stale bus address',
      reason: /cannot be reached/,
      thrown: 'Platform failure: DBus error: Failed to connect to socket /run/user/1000/bus: No such file or directory',
      where: 'construct',
    },
    {
      hint: /gnome-keyring/,
      name: 'no Secret Service on the bus',
      reason: /no Secret Service/,
      thrown: 'Platform failure: DBus error: org.freedesktop.DBus.Error.ServiceUnknown: The name org.freedesktop.secrets was not provided by any .service files',
      where: 'construct',
    },
    {
      hint: /unlock your keyring/,
      name: 'a locked keyring',
      reason: /the keyring is locked/,
      thrown: "Couldn't access platform storage: Secret Service: unlock prompt was dismissed",
      where: 'get',
    },
    {
      hint: /default \("login"\) keyring/,
      name: 'no login collection',
      reason: /no default keyring/,
      thrown: "Couldn't access platform storage: Secret Service: no result found",
      where: 'set',
    },
    {hint: /DIFY_TOKEN_STORAGE=file/, name: 'something unforeseen', reason: /^Platform secure storage failure: -25308$/, thrown: 'Platform secure storage failure: -25308', where: 'get'},
  ]
  for (const c of failures) {
    it(`given ${c.name}, fails with keyring_unavailable saying why and what to do`, async () => {
      const boom = () => {
        throw Object.assign(new Error(c.thrown), {code: 'GenericFailure'})
      }

      const {binding} = fakeBinding({
        construct: c.where === 'construct' ? boom : undefined,
        getPassword: c.where === 'get' ? async () => boom() : undefined,
        setPassword: c.where === 'set' ? async () => boom() : undefined,
      })
      const error = await failure(c.where === 'set' ? storeWith(binding).set(REF, 't') : storeWith(binding).get(REF))
      expect(error.code).to.equal('keyring_unavailable')
      expect(error.exitCode).to.equal(1)
      expect((error as DifyError & {reason: string}).reason).to.match(c.reason)
      expect(error.message).to.match(/^the OS credential store is unavailable: /)
      expect(error.hint).to.match(c.hint)
    })
  }

  it('given a binding that never answers, fails with keyring_unavailable after about 3 s and aborts the call', async function () {
    this.timeout(10_000)
    let signalSeen: AbortSignal | undefined
    const {binding} = fakeBinding({
      getPassword(signal) {
        signalSeen = signal ?? undefined
        return new Promise(() => {})
      },
    })
    const started = performance.now()
    const error = await failure(storeWith(binding).get(REF))
    const waited = performance.now() - started
    expect(error.code).to.equal('keyring_unavailable')
    expect(error.message).to.include('did not answer within 3 s')
    expect(waited).to.be.within(2900, 3600)
    expect(signalSeen?.aborted).to.equal(true)
  })

  it('given the native module cannot be loaded, fails with keyring_unavailable', async () => {
    const store = new KeychainStore({
      clock: systemClock,
      async loadBinding() {
        throw new Error('Cannot find module @napi-rs/keyring-linux-x64-musl')
      },
    })
    const error = await failure(store.get(REF))
    expect(error.code).to.equal('keyring_unavailable')
    expect(error.message).to.include('native keyring module could not be loaded')
  })

  it('does not load the native keyring module until a keychain call is made', async function () {
    this.timeout(30_000)
    const result = await runFixture(path.join(import.meta.dirname, 'fixtures', 'binding-probe.ts'), [])
    expect(result.code, result.stderr).to.equal(0)
    expect(JSON.parse(result.stdout)).to.deep.equal({afterKeychain: true, beforeKeychain: false})
  })
})
