import {createHash} from 'node:crypto'

import type {IdGenerator, TokenPrefix} from './ids.js'

export type RevokedBy = 'self' | 'id' | 'rotation' | 'expiry'

export interface Subject {
  type: 'account' | 'external_sso'
  /** Account id for account subjects; null for external SSO. */
  accountId: string | null
  email: string
  issuer: string | null
  /** Display name, kept in case the account is later removed from the configuration. */
  name: string | null
}

export interface SessionRow {
  id: string
  tokenHash: string
  prefix: TokenPrefix
  subject: Subject
  clientId: string
  deviceLabel: string
  createdUs: number
  lastUsedUs: number | null
  expiresUs: number
  revokedUs: number | null
  revokedBy: RevokedBy | null
  seq: number
}

export interface MintInput {
  subject: Subject
  clientId: string
  deviceLabel: string
  createdUs: number
  expiresUs: number
  lastUsedUs?: number | null
  /** When rotation happens (normally equal to createdUs). */
  nowUs: number
}

function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex')
}

function rotationKey(subject: Subject, clientId: string, deviceLabel: string): string {
  return JSON.stringify([subject.email.toLowerCase(), subject.issuer, clientId, deviceLabel])
}

/**
 * Server-side sessions. Only a SHA-256 of each token is kept; the plaintext leaves once, from mint.
 * Indexes by token hash, by rotation key (unrevoked rows only) and by account keep seeding
 * thousands of rows cheap.
 */
export class SessionStore {
  private readonly byId = new Map<string, SessionRow>()
  private readonly byHash = new Map<string, SessionRow>()
  private readonly unrevokedByKey = new Map<string, Set<SessionRow>>()
  private readonly byAccount = new Map<string, SessionRow[]>()
  private seq = 0

  constructor(private readonly ids: () => IdGenerator) {}

  /** Protocol §4.4: revoke any unrevoked row with the same subject, client and label, then insert. */
  mint(input: MintInput): {row: SessionRow; token: string} {
    const key = rotationKey(input.subject, input.clientId, input.deviceLabel)
    for (const old of [...(this.unrevokedByKey.get(key) ?? [])]) this.revoke(old, 'rotation', input.nowUs)
    const prefix: TokenPrefix = input.subject.type === 'account' ? 'dfoa_' : 'dfoe_'
    const ids = this.ids()
    const token = ids.token(prefix)
    let id = ids.uuid()
    while (this.byId.has(id)) id = ids.uuid()
    const row: SessionRow = {
      clientId: input.clientId,
      createdUs: input.createdUs,
      deviceLabel: input.deviceLabel,
      expiresUs: input.expiresUs,
      id,
      lastUsedUs: input.lastUsedUs ?? null,
      prefix,
      revokedBy: null,
      revokedUs: null,
      seq: ++this.seq,
      subject: input.subject,
      tokenHash: hashToken(token),
    }
    this.byId.set(row.id, row)
    this.byHash.set(row.tokenHash, row)
    let set = this.unrevokedByKey.get(key)
    if (!set) this.unrevokedByKey.set(key, (set = new Set()))
    set.add(row)
    if (row.subject.accountId !== null) {
      const list = this.byAccount.get(row.subject.accountId)
      if (list) list.push(row)
      else this.byAccount.set(row.subject.accountId, [row])
    }

    return {row, token}
  }

  byToken(token: string): SessionRow | undefined {
    return this.byHash.get(hashToken(token))
  }

  get(id: string): SessionRow | undefined {
    return this.byId.get(id)
  }

  revoke(row: SessionRow, by: RevokedBy, nowUs: number): void {
    if (row.revokedUs !== null) return
    row.revokedUs = nowUs
    row.revokedBy = by
    this.unrevokedByKey.get(rotationKey(row.subject, row.clientId, row.deviceLabel))?.delete(row)
  }

  /** The account's unrevoked, unexpired rows, newest first (ties: later creation first). */
  activeForAccount(accountId: string, nowUs: number): SessionRow[] {
    return (this.byAccount.get(accountId) ?? [])
      .filter((row) => row.revokedUs === null && row.expiresUs > nowUs)
      .sort((a, b) => b.createdUs - a.createdUs || b.seq - a.seq)
  }

  all(): SessionRow[] {
    return [...this.byId.values()].sort((a, b) => a.seq - b.seq)
  }

  clear(): void {
    this.byId.clear()
    this.byHash.clear()
    this.unrevokedByKey.clear()
    this.byAccount.clear()
  }
}
