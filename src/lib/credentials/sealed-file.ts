import {createCipheriv, createDecipheriv, createHash, randomBytes} from 'node:crypto'
import {link, open, readFile, unlink} from 'node:fs/promises'
import path from 'node:path'

import {removeStaleTemps, syncDir, writeFileAtomic} from '../config/atomic-write.js'
import {ensureDir, ioError} from '../config/dirs.js'
import {withFileLock} from '../config/file-lock.js'
import {DifyError} from '../errors/dify-error.js'
import type {Clock} from '../io/system.js'
import type {CredentialRef, CredentialStore} from './credential-store.js'

/*
 * The sealed file: every token difyctl keeps outside the OS credential store, in ONE file, encrypted
 * with AES-256-GCM as a whole, so that hosts and emails are hidden along with the tokens (the plaintext
 * is also padded, so the size barely says how many sign-ins there are).
 *
 *   offset  0  magic "DIFYSEAL" (8 bytes)
 *           8  format version (1 byte)
 *           9  key id: first 8 bytes of SHA-256(label || key), to tell "another key" from "tampered"
 *          17  IV (12 bytes, fresh and random for every write)
 *          29  ciphertext, then the 16-byte GCM tag
 *
 * The header (magic, version, key id) is the associated data: changing any byte of the file fails the
 * tag check. The 32-byte key is a separate 0600 file in the data dir, created on first use.
 *
 * Threat model, honestly: this protects tokens when the config dir leaks without the data dir (a
 * backup, a dotfiles repository, an accidental `cat` or screen share), and it detects tampering and
 * truncation. It does NOT protect against code running as the same user, or anyone who can read both
 * directories: the key sits next to the data on the same disk with the same permissions. That is what
 * the OS credential store is for; the sealed file is the fallback where there is none.
 */

export const SEALED_FILE_NAME = 'credentials.sealed'
export const SEALED_KEY_NAME = 'sealed.key'

const MAGIC = Buffer.from('DIFYSEAL', 'ascii')
const FORMAT_VERSION = 1
const KEY_BYTES = 32
const KEY_ID_BYTES = 8
const IV_BYTES = 12
const TAG_BYTES = 16
const HEADER_BYTES = MAGIC.length + 1 + KEY_ID_BYTES
const PAD_TO = 512
const KEY_ID_LABEL = 'difyctl sealed-file key id\0'

/** host → account email → token. */
type TokenMap = Record<string, Record<string, string>>

export interface SealedFileStoreOptions {
  configDir: string
  dataDir: string
  clock: Clock
  lockTimeoutMs?: number
}

function keyId(key: Buffer): Buffer {
  return createHash('sha256').update(KEY_ID_LABEL).update(key).digest().subarray(0, KEY_ID_BYTES)
}

export class SealedFileStore implements CredentialStore {
  readonly kind = 'sealed-file' as const
  /** The sealed token map, in the config dir. */
  readonly path: string
  /** The key, in the data dir. */
  readonly keyPath: string
  private readonly lockPath: string

  constructor(private readonly options: SealedFileStoreOptions) {
    this.path = path.join(options.configDir, SEALED_FILE_NAME)
    this.keyPath = path.join(options.dataDir, SEALED_KEY_NAME)
    this.lockPath = `${this.path}.lock`
  }

  /** Reads take no lock: the file is only ever replaced whole by rename. */
  async get(ref: CredentialRef): Promise<string | null> {
    const map = await this.load()
    return map?.[ref.host]?.[ref.account] ?? null
  }

  async set(ref: CredentialRef, token: string): Promise<void> {
    await this.locked(async () => {
      const map = (await this.load()) ?? {}
      map[ref.host] = {...map[ref.host], [ref.account]: token}
      const key = (await this.readKey()) ?? (await this.createKey())
      await this.save(map, key)
    })
  }

  async delete(ref: CredentialRef): Promise<boolean> {
    return this.locked(async () => {
      const map = await this.load()
      if (map?.[ref.host]?.[ref.account] === undefined) return false
      delete map[ref.host][ref.account]
      if (Object.keys(map[ref.host]).length === 0) delete map[ref.host]
      if (Object.keys(map).length === 0) {
        // The last token is gone: leave no sealed file behind (the key stays for the next sign-in).
        await unlink(this.path).catch((error: NodeJS.ErrnoException) => {
          if (error.code !== 'ENOENT') throw ioError(`cannot remove ${this.path}`, error)
        })
        return true
      }

      const key = await this.readKey()
      if (!key) throw this.keyMissing()
      await this.save(map, key)
      return true
    })
  }

  private async locked<T>(fn: () => Promise<T>): Promise<T> {
    await ensureDir(this.options.configDir)
    return withFileLock(
      this.lockPath,
      async () => {
        await removeStaleTemps(this.path)
        return fn()
      },
      {clock: this.options.clock, timeoutMs: this.options.lockTimeoutMs},
    )
  }

  /** The token map, or undefined when there is no sealed file yet. */
  private async load(): Promise<TokenMap | undefined> {
    let sealed: Buffer
    try {
      sealed = await readFile(this.path)
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
      throw ioError(`cannot read ${this.path}`, error)
    }

    const key = await this.readKey()
    if (!key) throw this.keyMissing()
    return this.open(sealed, key)
  }

  private open(sealed: Buffer, key: Buffer): TokenMap {
    if (sealed.length < MAGIC.length || !sealed.subarray(0, MAGIC.length).equals(MAGIC)) {
      throw this.corrupt(`${this.path} is not a difyctl sealed credential file`)
    }

    const version = sealed[MAGIC.length]
    if (version !== FORMAT_VERSION) {
      throw version > FORMAT_VERSION
        ? new DifyError('credential_corrupt', `${this.path} was written by a newer difyctl (format ${version}; this one reads ${FORMAT_VERSION})`, {
            hint: 'upgrade difyctl',
          })
        : this.corrupt(`${this.path} has an unknown format (${version})`)
    }

    if (sealed.length < HEADER_BYTES + IV_BYTES + TAG_BYTES) throw this.corrupt(`${this.path} is truncated`)
    const header = sealed.subarray(0, HEADER_BYTES)
    if (!header.subarray(MAGIC.length + 1).equals(keyId(key))) {
      throw this.corrupt(`${this.path} was sealed with a different key than ${this.keyPath}`)
    }

    const iv = sealed.subarray(HEADER_BYTES, HEADER_BYTES + IV_BYTES)
    const tag = sealed.subarray(sealed.length - TAG_BYTES)
    const body = sealed.subarray(HEADER_BYTES + IV_BYTES, sealed.length - TAG_BYTES)
    let plain: Buffer
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, iv, {authTagLength: TAG_BYTES})
      decipher.setAAD(header)
      decipher.setAuthTag(tag)
      plain = Buffer.concat([decipher.update(body), decipher.final()])
    } catch (error) {
      throw this.corrupt(`${this.path} failed its integrity check (it was modified or truncated)`, error)
    }

    try {
      const parsed = JSON.parse(plain.toString('utf8')) as {tokens?: unknown}
      if (typeof parsed.tokens !== 'object' || parsed.tokens === null) throw new Error('no token map')
      return parsed.tokens as TokenMap
    } catch (error) {
      // Authentic but unreadable: written by a broken build. Still not garbage to hand out.
      throw this.corrupt(`${this.path} holds an unreadable token map`, error)
    }
  }

  private async save(map: TokenMap, key: Buffer): Promise<void> {
    const json = JSON.stringify({tokens: map})
    const bytes = Buffer.byteLength(json)
    const padded = json + ' '.repeat(Math.ceil((bytes + 1) / PAD_TO) * PAD_TO - bytes)
    const header = Buffer.concat([MAGIC, Buffer.from([FORMAT_VERSION]), keyId(key)])
    const iv = randomBytes(IV_BYTES)
    const cipher = createCipheriv('aes-256-gcm', key, iv, {authTagLength: TAG_BYTES})
    cipher.setAAD(header)
    const body = Buffer.concat([cipher.update(padded, 'utf8'), cipher.final()])
    await writeFileAtomic(this.path, Buffer.concat([header, iv, body, cipher.getAuthTag()]), {mode: 0o600})
  }

  private async readKey(): Promise<Buffer | undefined> {
    let key: Buffer
    try {
      key = await readFile(this.keyPath)
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
      throw ioError(`cannot read the key ${this.keyPath}`, error)
    }

    if (key.length !== KEY_BYTES) {
      throw this.corrupt(`the key ${this.keyPath} is damaged (${key.length} bytes, expected ${KEY_BYTES})`)
    }

    return key
  }

  /**
   * Creates the key so that two processes racing (even with different config dirs, hence different
   * locks) end up with one key: the complete key is written to a temp file and hard-linked into place,
   * which fails if a key already exists; the loser uses the winner's key. Where hard links are not
   * supported, an O_EXCL create is the fallback (a racer could then briefly see a short key).
   */
  private async createKey(): Promise<Buffer> {
    const dir = this.options.dataDir
    await ensureDir(dir)
    const key = randomBytes(KEY_BYTES)
    const temp = path.join(dir, `.${SEALED_KEY_NAME}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`)
    try {
      await writeExclusive(temp, key)
      try {
        await link(temp, this.keyPath)
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code
        if (code === 'EEXIST') {
          const winner = await this.readKey()
          if (winner) return winner
        }

        if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'ENOSYS') throw error
        try {
          await writeExclusive(this.keyPath, key)
        } catch (fallbackError) {
          const winner = (fallbackError as NodeJS.ErrnoException).code === 'EEXIST' ? await this.readKey() : undefined
          if (winner) return winner
          throw fallbackError
        }
      }
    } catch (error) {
      throw ioError(`cannot create the key ${this.keyPath}`, error)
    } finally {
      await unlink(temp).catch(() => {})
    }

    await syncDir(dir)
    return key
  }

  private keyMissing(): DifyError {
    return new DifyError('credential_corrupt', `the key ${this.keyPath} is missing, so the sealed credentials in ${this.path} cannot be opened`, {
      hint: `restore ${this.keyPath} from where it went (DIFY_DATA_DIR may have changed), or delete ${this.path} and sign in again with 'difyctl auth login'`,
    })
  }

  private corrupt(message: string, cause?: unknown): DifyError {
    return new DifyError('credential_corrupt', message, {
      cause,
      hint: `if you have the original ${path.basename(this.keyPath)} restore it to ${this.keyPath}; otherwise delete ${this.path} and sign in again with 'difyctl auth login'`,
    })
  }
}

async function writeExclusive(file: string, data: Buffer): Promise<void> {
  const handle = await open(file, 'wx', 0o600)
  try {
    await handle.chmod(0o600)
    await handle.writeFile(data)
    await handle.sync()
  } finally {
    await handle.close()
  }
}
