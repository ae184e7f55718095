import {mkdir, stat} from 'node:fs/promises'
import path from 'node:path'

import {DifyError} from '../errors/dify-error.js'
import type {Env} from '../io/system.js'

export interface Dirs {
  /** hosts.yml, the sealed credential file and their locks. */
  configDir: string
  /** The sealed-file key: kept apart from the config dir so that leaking one does not leak both. */
  dataDir: string
}

export interface ResolveDirsOptions {
  env: Env
  platform: NodeJS.Platform
  homedir: string
}

const APP = 'difyctl'

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value
}

/**
 * Where difyctl keeps its state. Pure: the caller passes the environment, platform and home directory.
 *
 * Order for each directory: the DIFY_* override (taken as given, even when relative), then the XDG
 * variable, then the platform default. The XDG Base Directory spec says relative XDG paths are invalid
 * and must be ignored, so they are; the XDG variables are honoured on every platform (as gh does),
 * because someone who sets them on macOS or Windows means it.
 */
export function resolveDirs({env, platform, homedir}: ResolveDirsOptions): Dirs {
  const p = platform === 'win32' ? path.win32 : path.posix
  const xdg = (name: string) => {
    const value = nonEmpty(env[name])
    return value !== undefined && p.isAbsolute(value) ? value : undefined
  }

  const configOverride = nonEmpty(env.DIFY_CONFIG_DIR)
  const xdgConfig = xdg('XDG_CONFIG_HOME')
  let configDir: string
  if (configOverride !== undefined) configDir = configOverride
  else if (xdgConfig !== undefined) configDir = p.join(xdgConfig, APP)
  else if (platform === 'win32') configDir = p.join(nonEmpty(env.APPDATA) ?? p.join(homedir, 'AppData', 'Roaming'), APP)
  else configDir = p.join(homedir, '.config', APP)

  const dataOverride = nonEmpty(env.DIFY_DATA_DIR)
  const xdgData = xdg('XDG_DATA_HOME')
  let dataDir: string
  if (dataOverride !== undefined) dataDir = dataOverride
  else if (xdgData !== undefined) dataDir = p.join(xdgData, APP)
  else if (platform === 'win32') dataDir = p.join(nonEmpty(env.LOCALAPPDATA) ?? p.join(homedir, 'AppData', 'Local'), APP)
  else if (platform === 'darwin') dataDir = p.join(homedir, 'Library', 'Application Support', APP)
  else dataDir = p.join(homedir, '.local', 'share', APP)

  return {configDir, dataDir}
}

/**
 * Creates a directory (and missing parents) with mode 0700.
 *
 * An existing directory is left exactly as it is, never chmod-ed: DIFY_CONFIG_DIR may point at a
 * directory the user manages on purpose, and difyctl cannot tell a directory it created from one it
 * did not. Secrecy does not depend on the directory mode anyway: every file difyctl writes is 0600
 * and the tokens are in the keychain or sealed; a looser directory reveals only which files exist.
 */
export async function ensureDir(dir: string): Promise<void> {
  try {
    await mkdir(dir, {mode: 0o700, recursive: true})
  } catch (error) {
    throw ioError(`cannot create the directory ${dir}`, error)
  }

  // mkdir with `recursive` does not complain when the path exists as a file; the write would fail
  // later with a less helpful message.
  const info = await stat(dir).catch((error: unknown) => {
    throw ioError(`cannot read the directory ${dir}`, error)
  })
  if (!info.isDirectory()) {
    throw new DifyError('io_error', `${dir} exists and is not a directory`, {hint: 'move it aside, or point DIFY_CONFIG_DIR / DIFY_DATA_DIR elsewhere'})
  }
}

/** An io_error naming the path and the system's reason (EACCES, ENOSPC, …). */
export function ioError(what: string, error: unknown): DifyError {
  if (error instanceof DifyError) return error
  const code = (error as NodeJS.ErrnoException | undefined)?.code
  // Node's own messages already start with the errno code: "EACCES: permission denied, open '…'".
  const reason = error instanceof Error ? error.message : String(error)
  return new DifyError('io_error', `${what} (${reason})`, {
    cause: error,
    hint: code === 'ENOSPC' ? 'free some disk space and try again' : 'check the permissions of the file and its directory',
  })
}
