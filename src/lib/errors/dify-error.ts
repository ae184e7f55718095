import {type ErrorCode, exitCodeFor, type ExitCode} from './codes.js'

/** Facts about the HTTP exchange that failed, safe to print (no query secrets, no token). */
export interface HttpFacts {
  method?: string
  url?: string
  status?: number
  /** The server's error body (ErrorBody or RFC `{error}`), already parsed. */
  server?: unknown
}

export interface DifyErrorOptions {
  hint?: string
  http?: HttpFacts
  cause?: unknown
}

/** The only error type a difyctl behaviour throws at a user. */
export class DifyError extends Error {
  readonly code: ErrorCode
  readonly hint?: string
  readonly http?: HttpFacts

  constructor(code: ErrorCode, message: string, options: DifyErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : {cause: options.cause})
    this.name = 'DifyError'
    this.code = code
    this.hint = options.hint
    this.http = options.http
  }

  get exitCode(): ExitCode {
    return exitCodeFor(this.code)
  }
}

export function isDifyError(error: unknown): error is DifyError {
  return error instanceof DifyError
}

/** The one way a Ctrl-C is reported, wherever it lands (a prompt, a wait, a request). */
export function interruptedError(cause?: unknown): DifyError {
  return new DifyError('interrupted', 'interrupted (Ctrl-C)', cause === undefined ? {} : {cause})
}
