import {DifyError, interruptedError} from './dify-error.js'

interface OclifParseLike {
  message: string
  parse?: unknown
  oclif?: {exit?: number}
}

function isOclifParseError(error: unknown): error is OclifParseLike {
  if (!(error instanceof Error)) return false
  const candidate = error as OclifParseLike
  return candidate.parse !== undefined || /ParseError|FlagValidation|RequiredArgs|NonExistentFlags|UnexpectedArgs/.test(error.constructor.name)
}

const PROMPT_CANCELLED = new Set(['AbortPromptError', 'CancelPromptError', 'ExitPromptError'])

/**
 * Turns anything thrown inside a command into a DifyError, so that rendering and the exit code
 * are decided in one place. Parse errors from oclif become usage errors (exit 2); a cancelled
 * prompt is an interruption (exit 130); anything else is a bug and says so.
 */
export function toDifyError(error: unknown, commandId?: string): DifyError {
  if (error instanceof DifyError) return error
  if (error instanceof Error && PROMPT_CANCELLED.has(error.name)) {
    return interruptedError(error)
  }

  if (isOclifParseError(error)) return usageErrorFromParse(error, commandId)

  const message = error instanceof Error ? error.message : String(error)
  return new DifyError('internal_error', `unexpected error: ${message}`, {
    cause: error,
    hint: 'run again with DEBUG=difyctl for the stack trace, and report it',
  })
}

/**
 * A failure while oclif parses the command line is a usage error whatever its class: oclif throws
 * typed parse errors for most problems but a plain CLIError for some ("Flag --email expects a value").
 */
export function usageErrorFromParse(error: unknown, commandId?: string): DifyError {
  if (error instanceof DifyError) return error
  const text = error instanceof Error ? error.message : String(error)
  const firstLines = text
    .split('\n')
    .filter((line) => line.trim() !== '' && !/^See more help with/.test(line.trim()))
    .join('; ')
  const help = commandId ? `difyctl ${commandId.replaceAll(':', ' ')} --help` : 'difyctl --help'
  return new DifyError('usage_error', firstLines, {cause: error, hint: `run '${help}' for usage`})
}
