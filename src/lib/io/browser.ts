import type {Env} from './system.js'

export interface BrowserOpenResult {
  opened: boolean
  /** Why it was not opened, for one line on stderr. */
  reason?: string
}

export type BrowserOpener = (url: string) => Promise<BrowserOpenResult>

export interface SpawnLike {
  (command: string, args: readonly string[], options: {detached: boolean; stdio: 'ignore'; shell?: boolean}): {
    once(event: 'error', listener: (error: Error) => void): unknown
    once(event: 'spawn', listener: () => void): unknown
    unref(): void
  }
}

export interface BrowserOptions {
  env: Env
  platform: NodeJS.Platform
  stderrIsTTY: boolean
  spawn: SpawnLike
}

/** Why a browser cannot be shown here, or undefined when one probably can. */
export function headlessReason(options: Omit<BrowserOptions, 'spawn'>): string | undefined {
  const {env, platform} = options
  if (env.SSH_CONNECTION || env.SSH_TTY || env.SSH_CLIENT) return 'this is an SSH session'
  if (platform === 'linux' && !env.DISPLAY && !env.WAYLAND_DISPLAY) return 'no graphical display (DISPLAY and WAYLAND_DISPLAY are unset)'
  if (!options.stderrIsTTY) return 'not running in a terminal'
  return undefined
}

function platformCommand(platform: NodeJS.Platform, url: string): [string, string[]] {
  switch (platform) {
    case 'darwin': {
      return ['open', [url]]
    }

    case 'win32': {
      // rundll32 takes the URL as one argument, unlike `start`, which cmd would re-parse (& and ^).
      return ['rundll32', ['url.dll,FileProtocolHandler', url]]
    }

    default: {
      return ['xdg-open', [url]]
    }
  }
}

/** `spawn ENOENT`-style messages are for programmers; people need to know what to fix. */
function startFailure(error: NodeJS.ErrnoException): string {
  switch (error.code) {
    case 'ENOENT': {
      return 'not found'
    }

    case 'EACCES': {
      return 'permission denied'
    }

    default: {
      return error.code ? `${error.code}: ${error.message}` : error.message
    }
  }
}

function launch(spawn: SpawnLike, command: string, args: string[], label: string): Promise<BrowserOpenResult> {
  return new Promise((resolve) => {
    const failed = (error: Error) => resolve({opened: false, reason: `${label} could not start (${startFailure(error)})`})
    try {
      const child = spawn(command, args, {detached: true, stdio: 'ignore'})
      child.once('error', failed)
      child.once('spawn', () => {
        // Detached and unref'd: the CLI must be free to exit while the browser stays open, and a
        // browser's own chatter must never mix into difyctl's stdout.
        child.unref()
        resolve({opened: true})
      })
    } catch (error) {
      failed(error as Error)
    }
  })
}

/**
 * Splits BROWSER into a command and arguments. Quotes (single or double) group words so a path with
 * spaces can be named; backslashes stay literal because Windows paths are full of them. No other
 * shell syntax: the command is run directly, never through a shell, so the URL cannot inject any.
 */
export function splitCommand(text: string): string[] | undefined {
  const words: string[] = []
  let word = ''
  let inWord = false
  let quote: string | undefined
  for (const char of text) {
    if (quote) {
      if (char === quote) quote = undefined
      else word += char
    } else if (char === '"' || char === "'") {
      quote = char
      inWord = true
    } else if (/\s/.test(char)) {
      if (inWord) words.push(word)
      word = ''
      inWord = false
    } else {
      word += char
      inWord = true
    }
  }

  if (quote) return undefined
  if (inWord) words.push(word)
  return words
}

/**
 * Opens a URL the way users expect from other CLIs: `BROWSER` (a command; `%s` stands for the URL,
 * otherwise the URL is the last argument) wins, even on a headless machine since the user chose it;
 * otherwise the platform opener, unless the session is headless. Never throws: failing to open a
 * browser only means the user opens the printed URL by hand, so every failure is a reason for one
 * line on stderr while the sign-in keeps waiting.
 */
export function browserOpener(options: BrowserOptions): BrowserOpener {
  return async (url) => {
    const chosen = options.env.BROWSER
    if (chosen !== undefined && chosen.trim() !== '') {
      const words = splitCommand(chosen)
      if (!words) return {opened: false, reason: 'BROWSER has an unclosed quote'}
      if (words.length === 0 || words[0] === '') return {opened: false, reason: 'BROWSER names no command'}
      const [command, ...args] = words
      const hasPlaceholder = args.some((arg) => arg.includes('%s'))
      const finalArgs = hasPlaceholder ? args.map((arg) => arg.replaceAll('%s', url)) : [...args, url]
      return launch(options.spawn, command, finalArgs, `the BROWSER command (${command})`)
    }

    const reason = headlessReason(options)
    if (reason) return {opened: false, reason}
    const [command, args] = platformCommand(options.platform, url)
    return launch(options.spawn, command, args, command)
  }
}
