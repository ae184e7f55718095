import {type FileHandle, open, readdir, rename, unlink} from 'node:fs/promises'
import path from 'node:path'

import {ioError} from './dirs.js'

export interface AtomicWriteOptions {
  /** Mode of the written file; 0600 unless said otherwise. */
  mode?: number
  /**
   * Runs after the temp file is complete and synced, just before it replaces the target. A test seam:
   * a test can pause or kill the process here to prove the target is never half-written.
   */
  beforeRename?: (tempPath: string) => Promise<void>
}

const TEMP_SUFFIX = '.tmp'

function tempPrefix(target: string): string {
  return `.${path.basename(target)}.`
}

/**
 * Replaces `target` with `data` so that a reader, or the file after a crash, sees either the old
 * content or the new one, never a mix: the data goes to a temp file in the same directory (rename is
 * only atomic within one file system), is synced, and is renamed over the target; then the directory
 * is synced so the rename itself survives a power loss.
 *
 * On failure the temp file is removed and the target is untouched. A process killed mid-write leaves
 * a `.<name>.<pid>.<random>.tmp` file behind; it never collides with a later write, and
 * `removeStaleTemps` clears such leftovers under the caller's lock.
 */
export async function writeFileAtomic(target: string, data: string | Uint8Array, options: AtomicWriteOptions = {}): Promise<void> {
  // Loaded here rather than at the top: node:crypto takes ~5 ms to load and readers never write.
  const {randomBytes} = await import('node:crypto')
  const mode = options.mode ?? 0o600
  const dir = path.dirname(target)
  const temp = path.join(dir, `${tempPrefix(target)}${process.pid}.${randomBytes(6).toString('hex')}${TEMP_SUFFIX}`)
  let handle: FileHandle | undefined
  let tempCreated = false
  try {
    handle = await open(temp, 'wx', mode)
    tempCreated = true
    // The creation mode is filtered through the umask; state the intended mode exactly.
    await handle.chmod(mode)
    await handle.writeFile(data)
    await handle.sync()
    await handle.close()
    handle = undefined
    if (options.beforeRename) await options.beforeRename(temp)
    await rename(temp, target)
    tempCreated = false
  } catch (error) {
    await handle?.close().catch(() => {})
    if (tempCreated) await unlink(temp).catch(() => {})
    throw ioError(`cannot write ${target}`, error)
  }

  await syncDir(dir)
}

/**
 * Makes a completed rename durable. Best effort: Windows cannot open a directory for syncing and some
 * file systems refuse fsync on directories; the data itself is already synced.
 */
export async function syncDir(dir: string): Promise<void> {
  let handle: FileHandle | undefined
  try {
    handle = await open(dir, 'r')
    await handle.sync()
  } catch {
    // See above: nothing useful to report.
  } finally {
    await handle?.close().catch(() => {})
  }
}

/**
 * Deletes temp files that crashed writers left next to `target`. Call it only while holding the lock
 * that every writer of `target` takes: then no live writer can own one of them.
 */
export async function removeStaleTemps(target: string): Promise<number> {
  const dir = path.dirname(target)
  const prefix = tempPrefix(target)
  let names: string[]
  try {
    names = await readdir(dir)
  } catch {
    return 0
  }

  let removed = 0
  for (const name of names) {
    if (!name.startsWith(prefix) || !name.endsWith(TEMP_SUFFIX)) continue
    try {
      await unlink(path.join(dir, name))
      removed++
    } catch {
      // Gone already, or not ours to delete: the next write does not depend on it.
    }
  }

  return removed
}
