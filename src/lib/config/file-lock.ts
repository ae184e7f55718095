import {type FileHandle, open, unlink} from 'node:fs/promises'
import os from 'node:os'

import {DifyError} from '../errors/dify-error.js'
import type {Clock} from '../io/system.js'
import {ioError} from './dirs.js'

export interface FileLockOptions {
  clock: Clock
  /** How long to wait for another holder before giving up with `lock_timeout`. */
  timeoutMs?: number
  /**
   * A lock older than this is taken to be abandoned even when its owner cannot be proven dead (an
   * owner on another host sharing the directory, or a pid reused by an unrelated process). Holders
   * keep the lock for one read-modify-write, milliseconds; the default is far above that.
   */
  staleMs?: number
  /** Seams for tests; they default to this process, this host and `process.kill(pid, 0)`. */
  pid?: number
  hostname?: string
  isProcessAlive?: (pid: number) => boolean
  random?: () => number
  /**
   * Test seam: runs after a waiter has judged the lock stale and before it tries to remove it, so a
   * test can hold one waiter right inside the recovery race.
   */
  beforeBreak?: () => Promise<void>
}

export const DEFAULT_LOCK_TIMEOUT_MS = 5000
export const DEFAULT_LOCK_STALE_MS = 30_000
/**
 * Tokens of the locks this process holds right now. A lock file naming our own pid but a token not in
 * here was left by an earlier process that had the same pid (common in containers, where pids repeat
 * from run to run), and is stale.
 */
const heldHere = new Set<string>()
// node:crypto takes ~5 ms to load, so it is loaded by the first lock taken: commands that only read
// (auth whoami, auth list) never pay for it.
let randomBytes: typeof import('node:crypto').randomBytes | undefined
const FIRST_DELAY_MS = 5
const MAX_DELAY_MS = 100

interface LockOwner {
  pid: number
  hostname: string
  createdAt: number
  /** Random: tells two lock files apart even when pid, time and inode number repeat. */
  token: string
}

interface LockSnapshot {
  /** Undefined while the creator is still writing it, or when it is not ours to understand. */
  owner?: LockOwner
  ageMs: number
  /** Inode, mtime and content: equal snapshots are the same lock file. */
  identity: string
}

interface Settings {
  clock: Clock
  timeoutMs: number
  staleMs: number
  pid: number
  hostname: string
  isProcessAlive: (pid: number) => boolean
  random: () => number
  beforeBreak?: () => Promise<void>
}

/**
 * Runs `fn` while holding a cross-process lock on `lockPath`, and always releases it.
 *
 * The lock is a file created with O_EXCL holding the owner's pid, hostname, creation time and a random
 * token. Waiters retry with capped exponential backoff and jitter until `timeoutMs`, then fail with
 * `lock_timeout`. A lock is stale when its owner is on this host and its pid is dead, or when it is
 * older than `staleMs`.
 *
 * Recovering a stale lock is where a naive lock breaks: two waiters both see the dead owner, the first
 * deletes the lock and takes a fresh one, and the second then deletes that fresh lock and enters too.
 * So a waiter may delete a stale lock only while holding a second O_EXCL file (`<lock>.break`), and
 * only after re-reading the lock under it and finding the very same file (inode, mtime, token) it
 * judged stale. Whoever loses the race for `.break` just keeps waiting. A breaker dies inside that
 * window (a few syscalls) only by bad luck; its `.break` file is then judged by the same staleness
 * rule — the one place a vanishingly small race remains.
 *
 * Release deletes the lock only if it still carries our token: a holder that overran `staleMs` and had
 * its lock broken must not delete the next holder's lock.
 */
export async function withFileLock<T>(lockPath: string, fn: () => T | Promise<T>, options: FileLockOptions): Promise<T> {
  const settings: Settings = {
    beforeBreak: options.beforeBreak,
    clock: options.clock,
    hostname: options.hostname ?? os.hostname(),
    isProcessAlive: options.isProcessAlive ?? processAlive,
    pid: options.pid ?? process.pid,
    random: options.random ?? Math.random,
    staleMs: options.staleMs ?? DEFAULT_LOCK_STALE_MS,
    timeoutMs: options.timeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS,
  }
  randomBytes ??= (await import('node:crypto')).randomBytes
  const owner = await acquire(lockPath, settings)
  try {
    return await fn()
  } finally {
    heldHere.delete(owner.token)
    await releaseIfOurs(lockPath, owner)
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    // EPERM: it exists but belongs to someone else — alive.
    return (error as NodeJS.ErrnoException).code !== 'ESRCH'
  }
}

async function acquire(lockPath: string, settings: Settings): Promise<LockOwner> {
  const {clock} = settings
  const deadline = clock.now() + settings.timeoutMs
  let delay = FIRST_DELAY_MS
  let lastSeen: LockSnapshot | undefined
  for (;;) {
    const me = newOwner(settings)
    if (await tryCreateCounted(lockPath, me)) return me

    const held = await snapshot(lockPath, settings)
    // Released between our attempt and the read: try again at once.
    if (held !== undefined) {
      lastSeen = held
      if (isStale(held, settings) && (await breakStale(lockPath, held, settings))) continue
    }

    const left = deadline - clock.now()
    if (left <= 0) throw timeoutError(lockPath, settings, lastSeen)
    if (held === undefined) continue
    const jittered = delay * (0.5 + settings.random())
    await clock.sleep(Math.max(1, Math.min(jittered, left)))
    delay = Math.min(delay * 1.6, MAX_DELAY_MS)
  }
}

function newOwner(settings: Settings): LockOwner {
  return {createdAt: settings.clock.now(), hostname: settings.hostname, pid: settings.pid, token: randomBytes!(8).toString('hex')}
}

/**
 * tryCreate, with the token counted as held here from before the file exists: another caller in this
 * process that reads the file the moment after it is written must not take it for a dead process's.
 */
async function tryCreateCounted(lockPath: string, owner: LockOwner): Promise<boolean> {
  heldHere.add(owner.token)
  let created = false
  try {
    created = await tryCreate(lockPath, owner)
    return created
  } finally {
    if (!created) heldHere.delete(owner.token)
  }
}

/** O_EXCL create; false when someone else holds it. */
async function tryCreate(lockPath: string, owner: LockOwner): Promise<boolean> {
  let handle: FileHandle
  try {
    handle = await open(lockPath, 'wx', 0o600)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false
    throw ioError(`cannot create the lock file ${lockPath}`, error)
  }

  try {
    await handle.writeFile(JSON.stringify(owner))
  } catch (error) {
    await handle.close().catch(() => {})
    await unlink(lockPath).catch(() => {})
    throw ioError(`cannot write the lock file ${lockPath}`, error)
  }

  await handle.close()
  return true
}

/** One consistent look at the lock file (content and metadata from the same open inode); undefined if gone. */
async function snapshot(lockPath: string, settings: Settings): Promise<LockSnapshot | undefined> {
  let handle: FileHandle
  try {
    handle = await open(lockPath, 'r')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw ioError(`cannot read the lock file ${lockPath}`, error)
  }

  try {
    const info = await handle.stat()
    const text = await handle.readFile('utf8')
    const owner = parseOwner(text)
    const bornAt = owner?.createdAt ?? info.mtimeMs
    return {ageMs: settings.clock.now() - bornAt, identity: `${info.ino}:${info.mtimeMs}:${text}`, owner}
  } finally {
    await handle.close().catch(() => {})
  }
}

function parseOwner(text: string): LockOwner | undefined {
  try {
    const raw = JSON.parse(text) as Partial<LockOwner>
    if (typeof raw.pid === 'number' && typeof raw.hostname === 'string' && typeof raw.createdAt === 'number' && typeof raw.token === 'string') {
      return {createdAt: raw.createdAt, hostname: raw.hostname, pid: raw.pid, token: raw.token}
    }
  } catch {
    // Empty while its creator is between open and write, or garbage: judged by age alone.
  }

  return undefined
}

function isStale(held: LockSnapshot, settings: Settings): boolean {
  const {owner} = held
  if (owner && owner.hostname === settings.hostname) {
    const alive = owner.pid === settings.pid ? heldHere.has(owner.token) : settings.isProcessAlive(owner.pid)
    if (!alive) return true
  }

  return held.ageMs > settings.staleMs
}

/** Deletes the stale lock `judged` if it is still that same file; true when the way is clear. */
async function breakStale(lockPath: string, judged: LockSnapshot, settings: Settings): Promise<boolean> {
  await settings.beforeBreak?.()
  const breakPath = `${lockPath}.break`
  const me = newOwner(settings)
  if (!(await tryCreateCounted(breakPath, me))) {
    const breaker = await snapshot(breakPath, settings)
    if (breaker && isStale(breaker, settings)) await unlinkIfSame(breakPath, breaker, settings)
    return false
  }

  try {
    const current = await snapshot(lockPath, settings)
    if (current === undefined) return true
    if (current.identity !== judged.identity) return false
    await unlink(lockPath).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOENT') throw ioError(`cannot remove the stale lock file ${lockPath}`, error)
    })
    return true
  } finally {
    heldHere.delete(me.token)
    await releaseIfOurs(breakPath, me)
  }
}

async function unlinkIfSame(path: string, judged: LockSnapshot, settings: Settings): Promise<void> {
  const current = await snapshot(path, settings)
  if (current?.identity === judged.identity) await unlink(path).catch(() => {})
}

async function releaseIfOurs(lockPath: string, owner: LockOwner): Promise<void> {
  let text: string
  try {
    const handle = await open(lockPath, 'r')
    try {
      text = await handle.readFile('utf8')
    } finally {
      await handle.close().catch(() => {})
    }
  } catch {
    return
  }

  if (parseOwner(text)?.token !== owner.token) return
  await unlink(lockPath).catch(() => {})
}

function timeoutError(lockPath: string, settings: Settings, held: LockSnapshot | undefined): DifyError {
  const seconds = Math.round(settings.timeoutMs / 100) / 10
  const owner = held?.owner
  const who = owner ? `pid ${owner.pid} on ${owner.hostname}` : 'another process'
  return new DifyError('lock_timeout', `timed out after ${seconds} s waiting for the lock ${lockPath} (held by ${who})`, {
    hint: `another difyctl command is probably still running; wait for it and try again. If none is, delete ${lockPath}`,
  })
}
