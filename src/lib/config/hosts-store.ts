import {readFile} from 'node:fs/promises'
import path from 'node:path'

import type {Clock} from '../io/system.js'
import {removeStaleTemps, writeFileAtomic} from './atomic-write.js'
import {ensureDir, ioError} from './dirs.js'
import {withFileLock} from './file-lock.js'
import {emptyHostsFile, hostsFileFromData, parseHostsYaml} from './hosts-data.js'
import {fastLoadHostsYaml} from './hosts-fast-load.js'
import type {HostsFile} from './hosts.js'

export const HOSTS_FILE_NAME = 'hosts.yml'

export interface HostsStoreOptions {
  configDir: string
  clock: Clock
  /** Passed to the file lock; defaults suit a CLI (about 5 s). */
  lockTimeoutMs?: number
  /** Test seam: runs between the synced temp file and the rename (see writeFileAtomic). */
  beforeRename?: (tempPath: string) => Promise<void>
}

/**
 * hosts.yml on disk. Reads take no lock: the file is only ever replaced whole by rename, so a reader
 * sees the old or the new version. Every change is a locked read → mutate → atomic write, so two
 * difyctl processes never lose each other's changes. Structurally it is the `HostsAccess` that
 * behaviours in src/lib/auth take.
 */
export class HostsStore {
  readonly path: string
  readonly lockPath: string

  constructor(private readonly options: HostsStoreOptions) {
    this.path = path.join(options.configDir, HOSTS_FILE_NAME)
    this.lockPath = `${this.path}.lock`
  }

  /**
   * Missing or empty file: no contexts. A file that does not parse, or has a newer version:
   * `config_corrupt` naming the file and line, and the file is left as it is. Unreadable: `io_error`.
   */
  async read(): Promise<HostsFile> {
    const text = await this.readText()
    if (text === undefined) return emptyHostsFile()
    // A file difyctl wrote takes the fast path; only other files load js-yaml (100 KB of code), so
    // commands that just read (auth whoami, auth list) never do. Both give the same HostsFile.
    const fast = fastLoadHostsYaml(text)
    if (fast) return hostsFileFromData(fast.value, this.path)
    const {loadHostsYaml} = await import('./hosts-yaml.js')
    return parseHostsYaml(text, this.path, loadHostsYaml)
  }

  /**
   * Applies `mutate` to the current file under the lock and writes the result (0600). When `mutate`
   * throws, or the file does not parse, nothing is written. When `mutate` changes nothing, nothing is
   * written either, so a read that needs the lock does not create or rewrite the file.
   */
  async update<T>(mutate: (file: HostsFile) => T | Promise<T>): Promise<T> {
    // Writers only: commands that just read never load js-yaml.
    const {serializeHostsFile} = await import('./hosts-yaml.js')
    await ensureDir(this.options.configDir)
    return withFileLock(
      this.lockPath,
      async () => {
        await removeStaleTemps(this.path)
        const file = await this.read()
        const before = serializeHostsFile(file)
        const result = await mutate(file)
        const after = serializeHostsFile(file)
        if (after !== before) await writeFileAtomic(this.path, after, {beforeRename: this.options.beforeRename, mode: 0o600})
        return result
      },
      {clock: this.options.clock, timeoutMs: this.options.lockTimeoutMs},
    )
  }

  private async readText(): Promise<string | undefined> {
    try {
      return await readFile(this.path, 'utf8')
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
      throw ioError(`cannot read ${this.path}`, error)
    }
  }
}
