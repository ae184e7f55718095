import type {HttpClient} from '../api/http-client.js'
import {fetchAllSessions, type RevokeAnswer, revokeSessionById, type SessionRecord} from '../api/sessions.js'
import type {HostsAccess} from '../config/hosts.js'
import {forgetToken, type ResolvedContext} from '../config/registry.js'
import {loginHint} from '../context/resolve.js'
import {DifyError} from '../errors/dify-error.js'
import type {Clock} from '../io/system.js'
import type {CommandResult} from '../output/format.js'
import {singleLine} from '../output/sanitize.js'
import {displayWidth, padEndToWidth} from '../output/width.js'
import {type BatchFailure, type BatchProgress, type BatchReport, revokeBatch, silentProgress} from './devices-batch.js'

/** How many candidates or failures a message lists before saying "and N more". */
const LISTED = 20

function labelOf(session: SessionRecord): string {
  return singleLine(session.device_label) || '(no label)'
}

/** `label  id` per session, the ids lined up (labels wider than 48 cells just push theirs right). */
function describer(sessions: readonly SessionRecord[]): (session: SessionRecord) => string {
  const width = Math.min(48, Math.max(0, ...sessions.slice(0, LISTED).map((session) => displayWidth(labelOf(session)))))
  return (session) => `${padEndToWidth(labelOf(session), width)}  ${session.id}`
}

function listed<T>(items: readonly T[], show: (item: T) => string, indent = '  '): string {
  const lines = items.slice(0, LISTED).map((item) => `${indent}${show(item)}`)
  if (items.length > LISTED) lines.push(`${indent}… and ${items.length - LISTED} more`)
  return lines.join('\n')
}

/**
 * The one session a target names, in the documented order: exact label, then exact id, then
 * case-insensitive label substring. More than one session at the first rule that matches anything
 * is ambiguous; the candidates are listed with their ids so an exact id can be passed instead.
 */
export function matchSession(sessions: readonly SessionRecord[], target: string): SessionRecord {
  const wanted = target.trim()
  const needle = wanted.toLowerCase()
  const rules: Array<(session: SessionRecord) => boolean> = [
    (session) => session.device_label === target || session.device_label === wanted,
    (session) => session.id.toLowerCase() === needle,
    (session) => session.device_label.toLowerCase().includes(needle),
  ]
  for (const rule of rules) {
    const found = sessions.filter(rule)
    if (found.length === 1) return found[0]
    if (found.length > 1) {
      throw new DifyError('ambiguous_target', `"${singleLine(target)}" matches ${found.length} sessions; pass one session's ID instead:\n${listed(found, describer(found))}`, {
        hint: `e.g. difyctl auth devices revoke ${found[0].id}`,
      })
    }
  }

  throw new DifyError('no_match', `no session matches "${singleLine(target)}"`, {hint: "run 'difyctl auth devices list' to see your sessions"})
}

export interface RevokeDevicesOptions {
  target?: string
  all: boolean
  yes: boolean
  /** stdin and stderr are terminals: only then is the confirmation asked. */
  interactive: boolean
  confirm(message: string): Promise<boolean>
  /** The active context and a client bound to it; called once the arguments are known good. */
  connect(): Promise<{context: ResolvedContext; client: HttpClient}>
  /** Local sign-out when this sign-in's own session was revoked. */
  hosts: HostsAccess
  /** Removes the context's token from the credential store it is recorded in. */
  deleteToken(context: ResolvedContext): Promise<void>
  clock: Clock
  signal?: AbortSignal
  /** People's lines on stderr: the list being confirmed, warnings. */
  notice(line: string): void
  progress?: (host: string) => BatchProgress
  concurrency?: number
  /** Page size of the walk over all sessions (tests use small pages). */
  pageLimit?: number
  maxWaitS?: number
}

export interface RevokeDevicesData {
  revoked: string[]
  signed_out: boolean
}

/** Checks the arguments alone, before anything is read or sent. */
export function checkRevokeArguments(target: string | undefined, all: boolean): void {
  if (all && target !== undefined) {
    throw new DifyError('usage_error', 'pass either a target or --all, not both', {hint: 'difyctl auth devices revoke --all revokes every session except this one'})
  }

  if (!all && (target === undefined || target.trim() === '')) {
    throw new DifyError('usage_error', 'say which session to revoke: a device label or session ID, or --all', {
      hint: "run 'difyctl auth devices list' to see your sessions, then e.g. difyctl auth devices revoke \"difyctl on build-runner-3\"",
    })
  }
}

function failureLine(failure: BatchFailure): string {
  return `${failure.id} (${failure.error.code}: ${singleLine(failure.error.message)})`
}

/**
 * The outcome of a batch as an error when anything was left undone: the stopping error itself when
 * nothing was revoked (a dead token stays exit 4, a rate limit exit 7), `partial_failure` otherwise,
 * naming what was revoked and which ids were not.
 */
function batchError(report: BatchReport, total: number, single: boolean): DifyError | undefined {
  const undone = report.failed.length + report.notAttempted.length
  if (undone === 0) return undefined
  const first = report.stoppedBy ?? report.failed[0]?.error
  if (single && first) return first
  const lines = [`revoked ${report.revoked.length} of ${total} session(s)`]
  if (report.failed.length > 0) lines.push(`failed (${report.failed.length}):\n${listed(report.failed, failureLine)}`)
  if (report.notAttempted.length > 0) {
    lines.push(`not attempted (${report.notAttempted.length}), stopped by ${report.stoppedBy?.code ?? 'an earlier failure'}: ${singleLine(report.stoppedBy?.message ?? '')}`)
  }

  const hint = report.stoppedBy?.hint ? `${report.stoppedBy.hint}; then ` : ''
  // Ctrl-C stays an interruption (exit 130) however far the batch got; the message says how far.
  if ((report.revoked.length === 0 || report.stoppedBy?.code === 'interrupted') && first) {
    return new DifyError(first.code, lines.join('\n'), {cause: first, hint: first.hint, http: first.http})
  }

  return new DifyError('partial_failure', lines.join('\n'), {
    cause: first,
    hint: `${hint}run the same command again to retry the rest (sessions already revoked are gone from the list)`,
  })
}

/**
 * Forgets this machine's sign-in after its own session was revoked: the token leaves the credential
 * store and hosts.yml keeps the account without a token, so it is no longer active (`auth whoami` →
 * not logged in) and `use account` can say the token is gone. A concurrent re-login (a new token_id)
 * is left alone. Failures here cost a warning: the server-side revoke already happened.
 */
async function signOutLocally(options: RevokeDevicesOptions, context: ResolvedContext): Promise<void> {
  const ref = {email: context.email, host: context.host}
  let stillOurs = true
  try {
    stillOurs = await options.hosts.update((file) => {
      const account = file.hosts[ref.host]?.accounts[ref.email]
      if (!account || account.tokenId !== context.account.tokenId) return false
      forgetToken(file, ref)
      return true
    })
  } catch (error) {
    options.notice(`warning: could not update hosts.yml (${(error as Error).message}); run 'difyctl auth logout' to clear this sign-in`)
  }

  if (!stillOurs) return
  try {
    await options.deleteToken(context)
  } catch (error) {
    options.notice(`warning: could not delete the stored token (${(error as Error).message}); remove it from your credential store by hand`)
  }
}

/** `auth devices revoke [<target>] [--all] [-y]`. */
export async function revokeDevices(options: RevokeDevicesOptions): Promise<CommandResult<RevokeDevicesData>> {
  checkRevokeArguments(options.target, options.all)
  const {client, context} = await options.connect()
  const host = context.host
  const currentId = context.account.tokenId
  const sessions = await fetchAllSessions(client, {limit: options.pageLimit, signal: options.signal})

  let chosen: SessionRecord[]
  if (options.all) {
    if (currentId === null || !sessions.some((session) => session.id === currentId)) {
      // Without knowing which row is ours, --all would revoke this machine's session mid-way.
      throw new DifyError('bad_response', `cannot tell which of the ${sessions.length} sessions on ${host} this sign-in uses, so --all would revoke it too; nothing was revoked`, {
        hint: `${loginHint(context.baseUrl)} to refresh this sign-in`,
      })
    }

    chosen = sessions.filter((session) => session.id !== currentId)
    if (chosen.length === 0) return {data: {revoked: [], signed_out: false}, human: 'no sessions to revoke\n'}
  } else {
    chosen = [matchSession(sessions, options.target!)]
  }

  const includesCurrent = chosen.some((session) => session.id === currentId)
  if (options.interactive && !options.yes) {
    const describe = describer(chosen)
    options.notice(`About to revoke on ${host}:\n${listed(chosen, (session) => describe(session) + (session.id === currentId ? '  (this sign-in: you will be signed out here)' : ''))}`)
    if (!(await options.confirm(`Revoke ${chosen.length} session(s)?`))) {
      throw new DifyError('declined', 'declined; nothing was revoked')
    }
  }

  // This sign-in's own session goes last: once it is revoked the token is dead and nothing more can be sent.
  const others = chosen.filter((session) => session.id !== currentId).map((session) => session.id)
  const revoke = (id: string): Promise<RevokeAnswer> => revokeSessionById(client, id, {now: () => options.clock.now(), signal: options.signal})
  const batch = {clock: options.clock, concurrency: options.concurrency, host, maxWaitS: options.maxWaitS, revoke, signal: options.signal}
  const report: BatchReport =
    others.length > 0 ? await revokeBatch({...batch, ids: others, progress: (options.progress ?? (() => silentProgress))(host)}) : {failed: [], notAttempted: [], revoked: []}
  if (includesCurrent) {
    if (report.stoppedBy) {
      report.notAttempted.push(currentId!)
    } else {
      const own = await revokeBatch({...batch, concurrency: 1, ids: [currentId!]})
      report.revoked.push(...own.revoked)
      report.failed.push(...own.failed)
      report.notAttempted.push(...own.notAttempted)
      report.stoppedBy ??= own.stoppedBy
    }
  }

  const signedOut = includesCurrent && report.revoked.includes(currentId!)
  if (signedOut) {
    await signOutLocally(options, context)
    options.notice(`this sign-in's session was revoked: signed out of ${host} as ${context.email}; ${loginHint(context.baseUrl)} to sign in again`)
  }

  const error = batchError(report, chosen.length, chosen.length === 1)
  if (error) throw error
  return {data: {revoked: report.revoked, signed_out: signedOut}, human: `✓ Revoked ${report.revoked.length} session(s)\n`}
}
