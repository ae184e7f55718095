/**
 * The one table from error code to process exit code. Every failure difyctl reports carries one of
 * these codes; `EXIT_CODES` is a total Record, so adding a code without deciding its exit does not
 * compile. The user documentation (docs/output-formats-and-exit-codes.md) is generated from this file.
 */

export const ExitCode = {
  ok: 0,
  failure: 1,
  usage: 2,
  auth: 4,
  unsupported: 6,
  rateLimited: 7,
  interrupted: 130,
} as const

export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode]

/** What each exit code means, in the order the docs list them. */
export const EXIT_MEANINGS: ReadonlyArray<{exit: ExitCode; meaning: string}> = [
  {exit: ExitCode.ok, meaning: 'Success'},
  {exit: ExitCode.failure, meaning: 'Network or server error, or local state that cannot be used'},
  {exit: ExitCode.usage, meaning: 'Usage error: a bad flag or argument, a missing flag outside a terminal, an unknown target'},
  {exit: ExitCode.auth, meaning: 'Authentication: not signed in, the sign-in was denied or expired, or the token was rejected'},
  {exit: ExitCode.unsupported, meaning: 'The server lacks the endpoint (no device-flow sign-in, or the server requires a newer difyctl)'},
  {exit: ExitCode.rateLimited, meaning: 'Rate limited by the server (HTTP 429) beyond what difyctl waits for'},
  {exit: ExitCode.interrupted, meaning: 'Interrupted (Ctrl-C); nothing was half-written'},
]

export const EXIT_CODES = {
  // 1 — network, server, local state
  network_error: ExitCode.failure,
  timeout: ExitCode.failure,
  tls_error: ExitCode.failure,
  server_error: ExitCode.failure,
  bad_response: ExitCode.failure,
  config_corrupt: ExitCode.failure,
  credential_corrupt: ExitCode.failure,
  keyring_unavailable: ExitCode.failure,
  lock_timeout: ExitCode.failure,
  io_error: ExitCode.failure,
  partial_failure: ExitCode.failure,
  internal_error: ExitCode.failure,
  // 2 — usage
  usage_error: ExitCode.usage,
  missing_flag: ExitCode.usage,
  invalid_flag: ExitCode.usage,
  unknown_host: ExitCode.usage,
  unknown_account: ExitCode.usage,
  ambiguous_target: ExitCode.usage,
  no_match: ExitCode.usage,
  declined: ExitCode.usage,
  unsupported_format: ExitCode.usage,
  insecure_host: ExitCode.usage,
  // 4 — authentication
  not_logged_in: ExitCode.auth,
  auth_expired: ExitCode.auth,
  access_denied: ExitCode.auth,
  expired_token: ExitCode.auth,
  unsupported_token_type: ExitCode.auth,
  // 6 — the server lacks what we need
  unsupported_endpoint: ExitCode.unsupported,
  upgrade_required: ExitCode.unsupported,
  // 7 — rate limited
  rate_limited: ExitCode.rateLimited,
  // 130 — Ctrl-C
  interrupted: ExitCode.interrupted,
} as const satisfies Record<string, ExitCode>

export type ErrorCode = keyof typeof EXIT_CODES

/** One sentence per code for the docs; a Record so a new code must be described too. */
export const CODE_DESCRIPTIONS: Record<ErrorCode, string> = {
  network_error: 'The host could not be reached (DNS, refused or reset connection, proxy failure).',
  timeout: 'The server did not answer in time.',
  tls_error: 'The TLS handshake failed (untrusted or invalid certificate). Custom CAs: NODE_EXTRA_CA_CERTS.',
  server_error: 'The server answered with a 5xx status after retries.',
  bad_response: 'The server answered with something difyctl cannot use (not JSON, missing fields, endless paging).',
  config_corrupt: 'hosts.yml does not parse or has an unknown version; the file is left untouched.',
  credential_corrupt: 'The sealed credential file failed its integrity check (tampered with, or a different key).',
  keyring_unavailable: 'The OS credential store could not be reached (locked, no D-Bus session, timed out).',
  lock_timeout: 'Another difyctl process held the state lock for too long.',
  io_error: 'A local file could not be read or written (permissions, disk full).',
  partial_failure: 'Some of a batch succeeded and some failed; the message says which.',
  internal_error: 'A bug in difyctl; run again with DEBUG=difyctl to see the stack trace, and report it.',
  usage_error: 'The command line is wrong (unknown flag, bad value, missing argument).',
  missing_flag: 'A flag that is optional in a terminal is required in a script, CI or pipe.',
  invalid_flag: 'A flag value is out of range or malformed.',
  unknown_host: 'The host is not among your stored sign-ins.',
  unknown_account: 'The account is not stored for the active host.',
  ambiguous_target: 'The target matches more than one session; the candidates are listed.',
  no_match: 'The target matches no session.',
  declined: 'You answered no at a confirmation prompt; nothing was changed.',
  unsupported_format: 'The -o value is not one of the formats the command offers.',
  insecure_host: 'An http:// host was given without --insecure.',
  not_logged_in: 'There is no active sign-in (or its stored token is gone).',
  auth_expired: 'The server rejected the token (expired, revoked, or replaced by a newer sign-in).',
  access_denied: 'The sign-in was denied in the browser.',
  expired_token: 'The one-time code expired before it was approved.',
  unsupported_token_type: 'The token type cannot use this endpoint (an external-SSO token on an account route).',
  unsupported_endpoint: 'The server has no such endpoint (no device-flow sign-in: OpenAPI or OAuth bearer disabled, or an older Dify).',
  upgrade_required: 'The server requires a newer difyctl (HTTP 426); the hint says how to upgrade.',
  rate_limited: 'The server rate limited the request (HTTP 429) for longer than difyctl waits.',
  interrupted: 'Interrupted with Ctrl-C.',
}

export function exitCodeFor(code: ErrorCode): ExitCode {
  return EXIT_CODES[code]
}
