import type {Clock} from './clock.js'

export type DeviceStatus = 'pending' | 'approved' | 'denied'

export interface DeviceRecord {
  deviceCode: string
  userCode: string
  clientId: string
  deviceLabel: string
  ip: string
  status: DeviceStatus
  createdUs: number
  expiresUs: number
  /** Poll requests received for this code (slow_down ones included). */
  polls: number
  /** The success payload, frozen at approval. */
  payload: Record<string, unknown> | null
  tokenId: string | null
  seq: number
}

interface PollMark {
  lastUs: number
  keepUntilUs: number
}

/**
 * Live device codes, reachable by device code and by user code, plus the slow_down poll marks.
 * Expiry is checked on every read, against the emulator clock; a consumed record is simply gone.
 */
export class DeviceStore {
  private readonly byDeviceCode = new Map<string, DeviceRecord>()
  private readonly byUserCode = new Map<string, DeviceRecord>()
  private readonly pollMarks = new Map<string, PollMark>()
  private seq = 0
  private marksSinceSweep = 0

  constructor(private readonly clock: Clock) {}

  add(record: Omit<DeviceRecord, 'seq'>): DeviceRecord {
    const full = {...record, seq: ++this.seq}
    this.byDeviceCode.set(full.deviceCode, full)
    this.byUserCode.set(full.userCode, full)
    return full
  }

  /** The record if it exists and has not expired. */
  live(deviceCode: string): DeviceRecord | undefined {
    const record = this.byDeviceCode.get(deviceCode)
    return record && this.alive(record) ? record : undefined
  }

  liveByUserCode(userCode: string): DeviceRecord | undefined {
    const record = this.byUserCode.get(userCode)
    return record && this.alive(record) ? record : undefined
  }

  userCodeTaken(userCode: string): boolean {
    return this.liveByUserCode(userCode) !== undefined
  }

  /** The most recently created live record, whatever its status. */
  latest(): DeviceRecord | undefined {
    let best: DeviceRecord | undefined
    for (const record of this.all()) if (!best || record.seq > best.seq) best = record
    return best
  }

  all(): DeviceRecord[] {
    return [...this.byDeviceCode.values()].filter((r) => this.alive(r))
  }

  remove(record: DeviceRecord): void {
    if (this.byDeviceCode.get(record.deviceCode) === record) this.byDeviceCode.delete(record.deviceCode)
    if (this.byUserCode.get(record.userCode) === record) this.byUserCode.delete(record.userCode)
  }

  /**
   * Reads the previous poll time for this device-code string and overwrites it with now, in one
   * step; the mark lives `keepS` seconds after the poll (protocol §4.2).
   */
  swapPollMark(deviceCode: string, nowUs: number, keepS: number): number | undefined {
    const previous = this.pollMarks.get(deviceCode)
    const last = previous && previous.keepUntilUs > nowUs ? previous.lastUs : undefined
    this.pollMarks.set(deviceCode, {keepUntilUs: nowUs + keepS * 1e6, lastUs: nowUs})
    if (++this.marksSinceSweep >= 1000) this.sweepMarks(nowUs)
    return last
  }

  clear(): void {
    this.byDeviceCode.clear()
    this.byUserCode.clear()
    this.pollMarks.clear()
  }

  private alive(record: DeviceRecord): boolean {
    if (record.expiresUs > this.clock.nowUs()) return true
    this.remove(record)
    return false
  }

  private sweepMarks(nowUs: number): void {
    this.marksSinceSweep = 0
    for (const [code, mark] of this.pollMarks) if (mark.keepUntilUs <= nowUs) this.pollMarks.delete(code)
  }
}
