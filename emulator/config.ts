import {createHash} from 'node:crypto'

import {uuidFromBytes} from './ids.js'
import {parseVersion} from './version-gate.js'

export const BUCKETS = ['device_code', 'lookup', 'approve', 'per_token', 'account'] as const
export type Bucket = (typeof BUCKETS)[number]

export interface RateLimit {
  /** Accepted requests allowed in the trailing window; 0 disables the bucket. */
  limit: number
  window_s: number
}

export interface AutoDecide {
  action: 'approve' | 'deny'
  /** Email of the approving account; absent or null means the demo account. */
  account?: string | null
  /** Decide just before the code's N-th poll is processed; 0 decides at creation. */
  after_polls: number
}

/** Knobs of protocol §12.2, plus `approve_latency_ms` (see below). */
export interface Knobs {
  interval_s: number
  expires_in_s: number
  token_ttl_s: number
  known_client_ids: string[]
  rate_limits: Record<Bucket, RateLimit>
  openapi_enabled: boolean
  bearer_enabled: boolean
  min_client_version: string | null
  verification_base: string | null
  server_version: string
  edition: string
  demo_account: string | null
  auto_decide: AutoDecide | null
  seed: string | number | null
  invalid_bearer_status: 401 | 500
  /**
   * Extension: how long (real milliseconds) an approve holds its per-code lock before minting.
   * A real server's approve takes time; this makes `approve_in_progress` and `state_lost`
   * reproducible. Default 0.
   */
  approve_latency_ms: number
}

/** What PATCH /_emulator/config and the start-up options accept: any subset, buckets partially. */
export type KnobsPatch = Partial<Omit<Knobs, 'rate_limits'>> & {
  rate_limits?: Partial<Record<Bucket, Partial<RateLimit>>>
}

export interface Workspace {
  id: string
  name: string
  role: string
  current?: boolean
}

export interface Account {
  id: string
  email: string
  name: string
  workspaces: Workspace[]
}

/** Ids may be left out in configuration; they are then derived from the email / workspace name. */
export interface AccountInput {
  id?: string
  email: string
  name: string
  workspaces?: Array<Omit<Workspace, 'id'> & {id?: string}>
}

export const DEMO_ACCOUNT: Account = {
  email: 'demo@example.com',
  id: '5b0c1f9e-4a7d-4c21-9e3a-2f6d8b1a7c01',
  name: 'Demo User',
  workspaces: [{current: true, id: 'a7e3d2c1-6b5f-4e8a-9d0c-1b2a3c4d5e6f', name: 'Demo Workspace', role: 'owner'}],
}

export function defaultKnobs(): Knobs {
  return {
    approve_latency_ms: 0,
    auto_decide: null,
    bearer_enabled: true,
    demo_account: null,
    edition: 'SELF_HOSTED',
    expires_in_s: 900,
    interval_s: 5,
    invalid_bearer_status: 401,
    known_client_ids: ['difyctl'],
    min_client_version: null,
    openapi_enabled: true,
    rate_limits: {
      account: {limit: 60, window_s: 60},
      approve: {limit: 10, window_s: 3600},
      device_code: {limit: 60, window_s: 3600},
      lookup: {limit: 60, window_s: 300},
      per_token: {limit: 60, window_s: 60},
    },
    seed: null,
    server_version: '1.18.0',
    token_ttl_s: 1_209_600,
    verification_base: null,
  }
}

export class ConfigError extends Error {}

const KNOWN = new Set<string>(Object.keys(defaultKnobs()))

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function int(name: string, value: unknown, min: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    throw new ConfigError(`${name} must be an integer >= ${min}`)
  }

  return value
}

function str(name: string, value: unknown): string {
  if (typeof value !== 'string') throw new ConfigError(`${name} must be a string`)
  return value
}

function bool(name: string, value: unknown): boolean {
  if (typeof value !== 'boolean') throw new ConfigError(`${name} must be true or false`)
  return value
}

/** Merges a patch into knobs, validating every member; throws ConfigError naming the bad one. */
export function applyKnobsPatch(current: Knobs, patch: unknown): Knobs {
  if (!isObject(patch)) throw new ConfigError('the configuration must be a JSON object')
  const next: Knobs = {...current, rate_limits: {...current.rate_limits}}
  for (const [key, value] of Object.entries(patch)) {
    if (!KNOWN.has(key)) {
      const extra = key === 'accounts' ? ' (use PUT /_emulator/accounts)' : ''
      throw new ConfigError(`unknown knob "${key}"${extra}`)
    }

    switch (key) {
      case 'interval_s': {
        next.interval_s = int(key, value, 0)
        break
      }

      case 'expires_in_s':
      case 'token_ttl_s': {
        next[key] = int(key, value, 1)
        break
      }

      case 'approve_latency_ms': {
        next.approve_latency_ms = int(key, value, 0)
        break
      }

      case 'known_client_ids': {
        if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) {
          throw new ConfigError('known_client_ids must be an array of strings')
        }

        next.known_client_ids = [...value]
        break
      }

      case 'rate_limits': {
        if (!isObject(value)) throw new ConfigError('rate_limits must be an object')
        for (const [bucket, limits] of Object.entries(value)) {
          if (!(BUCKETS as readonly string[]).includes(bucket)) {
            throw new ConfigError(`unknown rate-limit bucket "${bucket}" (known: ${BUCKETS.join(', ')})`)
          }

          if (!isObject(limits)) throw new ConfigError(`rate_limits.${bucket} must be {limit, window_s}`)
          const merged = {...next.rate_limits[bucket as Bucket]}
          for (const [member, v] of Object.entries(limits)) {
            if (member === 'limit') merged.limit = int(`rate_limits.${bucket}.limit`, v, 0)
            else if (member === 'window_s') merged.window_s = int(`rate_limits.${bucket}.window_s`, v, 1)
            else throw new ConfigError(`unknown member rate_limits.${bucket}.${member}`)
          }

          next.rate_limits[bucket as Bucket] = merged
        }

        break
      }

      case 'openapi_enabled':
      case 'bearer_enabled': {
        next[key] = bool(key, value)
        break
      }

      case 'min_client_version': {
        if (value !== null && (typeof value !== 'string' || parseVersion(value) === null)) {
          throw new ConfigError('min_client_version must be null or MAJOR.MINOR.PATCH[-PRE] (PRE: dev, a/alpha, b/beta, rc, optional number)')
        }

        next.min_client_version = value
        break
      }

      case 'verification_base': {
        if (value === null) {
          next.verification_base = null
          break
        }

        const text = str(key, value)
        if (!/^https?:\/\/[^/?#]+(\/[^?#]*)?$/i.test(text)) throw new ConfigError('verification_base must be an http(s) URL')
        next.verification_base = text.replace(/\/+$/, '')
        break
      }

      case 'server_version':
      case 'edition': {
        next[key] = str(key, value)
        break
      }

      case 'demo_account': {
        next.demo_account = value === null ? null : str(key, value)
        break
      }

      case 'auto_decide': {
        next.auto_decide = value === null ? null : parseAutoDecide(value)
        break
      }

      case 'seed': {
        if (value !== null && typeof value !== 'string' && typeof value !== 'number') {
          throw new ConfigError('seed must be null, a string or a number')
        }

        next.seed = value
        break
      }

      case 'invalid_bearer_status': {
        if (value !== 401 && value !== 500) throw new ConfigError('invalid_bearer_status must be 401 or 500')
        next.invalid_bearer_status = value
        break
      }
    }
  }

  return next
}

function parseAutoDecide(value: unknown): AutoDecide {
  if (!isObject(value)) throw new ConfigError('auto_decide must be null or {action, account?, after_polls}')
  for (const key of Object.keys(value)) {
    if (!['action', 'account', 'after_polls'].includes(key)) throw new ConfigError(`unknown member auto_decide.${key}`)
  }

  if (value.action !== 'approve' && value.action !== 'deny') throw new ConfigError('auto_decide.action must be "approve" or "deny"')
  const account = value.account === undefined || value.account === null ? null : str('auto_decide.account', value.account)
  const afterPolls = value.after_polls === undefined ? 0 : int('auto_decide.after_polls', value.after_polls, 0)
  return {account, action: value.action, after_polls: afterPolls}
}

function derivedId(...parts: string[]): string {
  return uuidFromBytes(createHash('sha256').update(parts.join('\u0000')).digest())
}

/** Validates configured accounts and fills in missing ids deterministically. */
export function normalizeAccounts(input: unknown): Account[] {
  if (!Array.isArray(input) || input.length === 0) throw new ConfigError('accounts must be a non-empty array')
  const seen = new Set<string>()
  return input.map((raw, index) => {
    if (!isObject(raw)) throw new ConfigError(`accounts[${index}] must be an object`)
    const email = str(`accounts[${index}].email`, raw.email)
    const name = str(`accounts[${index}].name`, raw.name)
    if (!email.includes('@')) throw new ConfigError(`accounts[${index}].email is not an email address`)
    if (seen.has(email.toLowerCase())) throw new ConfigError(`accounts[${index}]: duplicate email ${email}`)
    seen.add(email.toLowerCase())
    const id = raw.id === undefined ? derivedId('account', email.toLowerCase()) : str(`accounts[${index}].id`, raw.id)
    const rawWorkspaces = raw.workspaces ?? []
    if (!Array.isArray(rawWorkspaces)) throw new ConfigError(`accounts[${index}].workspaces must be an array`)
    const workspaces = rawWorkspaces.map((ws: unknown, w: number): Workspace => {
      const at = `accounts[${index}].workspaces[${w}]`
      if (!isObject(ws)) throw new ConfigError(`${at} must be an object`)
      const wsName = str(`${at}.name`, ws.name)
      const workspace: Workspace = {
        id: ws.id === undefined ? derivedId('workspace', id, wsName) : str(`${at}.id`, ws.id),
        name: wsName,
        role: ws.role === undefined ? 'normal' : str(`${at}.role`, ws.role),
      }
      if (ws.current !== undefined) workspace.current = bool(`${at}.current`, ws.current)
      return workspace
    })
    return {email, id, name, workspaces}
  })
}

/** Knobs that name an account must name a configured one; a typo should fail loudly, not later. */
export function checkAccountReferences(knobs: Knobs, accounts: Account[]): void {
  const known = new Set(accounts.map((a) => a.email.toLowerCase()))
  const refs: Array<[string, string | null | undefined]> = [
    ['demo_account', knobs.demo_account],
    ['auto_decide.account', knobs.auto_decide?.account],
  ]
  for (const [name, email] of refs) {
    if (email && !known.has(email.toLowerCase())) throw new ConfigError(`${name} ${email} is not a configured account`)
  }
}

/**
 * The default workspace of protocol §4.3: the browser's current workspace when it is a membership,
 * else the membership flagged current, else the first, else none.
 */
export function defaultWorkspace(account: Account, browserWorkspaceId?: string | null): Workspace | null {
  const chosen = browserWorkspaceId ? account.workspaces.find((w) => w.id === browserWorkspaceId) : undefined
  return chosen ?? account.workspaces.find((w) => w.current) ?? account.workspaces[0] ?? null
}
