import type {HttpClient} from '../api/http-client.js'
import {displayTimestamp, listSessionPage, MAX_LIMIT, MIN_LIMIT, type SessionRecord} from '../api/sessions.js'
import type {ResolvedContext} from '../config/registry.js'
import {DifyError} from '../errors/dify-error.js'
import type {Env} from '../io/system.js'
import type {CommandResult} from '../output/format.js'
import {renderTable} from '../output/table.js'

export const DEFAULT_LIMIT = 20

export interface Paging {
  page: number
  limit: number
  /** Where the limit came from, so hints can repeat it when it has to be repeated. */
  limitFrom: 'default' | 'env' | 'flag'
}

const DIGITS = /^\d+$/

function positiveInteger(raw: string): number | undefined {
  const text = raw.trim()
  if (!DIGITS.test(text)) return undefined
  const value = Number(text)
  return Number.isSafeInteger(value) ? value : undefined
}

function limitError(source: string, raw: string): DifyError {
  return new DifyError('invalid_flag', `${source} must be an integer from ${MIN_LIMIT} to ${MAX_LIMIT}, got "${raw}"`, {
    hint: source === 'DIFY_LIMIT' ? `set DIFY_LIMIT to ${MIN_LIMIT}..${MAX_LIMIT}, unset it, or pass --limit` : `e.g. --limit ${DEFAULT_LIMIT}`,
  })
}

/**
 * `--page` and `--limit` as the server will accept them (§6.1), checked before anything is sent: the
 * flag wins, then DIFY_LIMIT, then 20. An empty DIFY_LIMIT counts as unset, like the other
 * DIFY_ variables.
 */
export function resolvePaging(flags: {page?: string; limit?: string}, env: Env): Paging {
  let page = 1
  if (flags.page !== undefined) {
    const value = positiveInteger(flags.page)
    if (value === undefined || value < 1) {
      throw new DifyError('invalid_flag', `--page must be a positive integer, got "${flags.page}"`, {hint: 'pages start at 1, e.g. --page 2'})
    }

    page = value
  }

  const [raw, source, limitFrom] =
    flags.limit === undefined
      ? env.DIFY_LIMIT !== undefined && env.DIFY_LIMIT.trim() !== ''
        ? [env.DIFY_LIMIT, 'DIFY_LIMIT', 'env' as const]
        : [undefined, '', 'default' as const]
      : [flags.limit, '--limit', 'flag' as const]
  if (raw === undefined) return {limit: DEFAULT_LIMIT, limitFrom, page}
  const limit = positiveInteger(raw)
  if (limit === undefined || limit < MIN_LIMIT || limit > MAX_LIMIT) throw limitError(source, raw)
  return {limit, limitFrom, page}
}

export interface DevicesListData {
  data: SessionRecord[]
  page: number
  limit: number
  total: number
  has_more: boolean
}

export interface ListDevicesOptions {
  /** Raw flag values; checked before `connect` is called. */
  page?: string
  limit?: string
  env: Env
  /** The active context and a client bound to it; called only once the flags are known good. */
  connect(): Promise<{context: ResolvedContext; client: HttpClient}>
  /** Lines for people on stderr (paging hints); omitted in machine output. */
  notice?: (line: string) => void
  signal?: AbortSignal
}

/** The session row a table shows; `*` marks the session this sign-in uses (protocol §11.8). */
export function sessionTable(rows: readonly SessionRecord[], currentId: string | null): string {
  return renderTable(
    ['DEVICE', 'CREATED', 'LAST USED', 'CURRENT'],
    rows.map((row) => [
      row.device_label,
      displayTimestamp(row.created_at),
      row.last_used_at === null ? '' : displayTimestamp(row.last_used_at),
      currentId !== null && row.id === currentId ? '*' : '',
    ]),
  )
}

/** `auth devices list`: one page of the account's sessions. */
export async function listDevices(options: ListDevicesOptions): Promise<CommandResult<DevicesListData>> {
  const paging = resolvePaging({limit: options.limit, page: options.page}, options.env)
  const {client, context} = await options.connect()
  const page = await listSessionPage(client, {limit: paging.limit, page: paging.page}, options.signal)
  const data: DevicesListData = {data: page.data, has_more: page.has_more, limit: page.limit, page: page.page, total: page.total}
  const notice = options.notice ?? (() => {})
  if (page.data.length === 0) {
    notice(page.total === 0 ? 'no active sessions' : `no sessions on page ${page.page} (${page.total} in all; try a lower --page)`)
    return {data, human: ''}
  }

  if (page.has_more) {
    const limitFlag = paging.limitFrom === 'flag' ? ` --limit ${paging.limit}` : ''
    notice(`page ${page.page}: ${page.data.length} of ${page.total} sessions; next page: difyctl auth devices list --page ${page.page + 1}${limitFlag}`)
  }

  return {data, human: sessionTable(page.data, context.account.tokenId)}
}
