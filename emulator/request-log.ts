export interface RequestLogEntry {
  seq: number
  /** Arrival time on the emulator clock (ISO 8601, `Z`). */
  time: string
  method: string
  path: string
  /** The query string exactly as sent, without `?` (`''` when none). */
  query: string
  /** Header names lower-cased, values verbatim (repeated headers joined by Node's rules). */
  headers: Record<string, string | string[] | undefined>
  /** Name/value pairs exactly as received, names in their original case. */
  raw_headers: Array<[string, string]>
  /** Parsed JSON when the body is JSON, the raw text otherwise, null when empty. */
  body: unknown
  /** Status answered; null while in flight or when the connection was reset. */
  status: number | null
  client_ip: string
}

/** Every request to `/openapi/v1/` and `/device`, in arrival order (protocol §12.3). */
export class RequestLog {
  private entries: RequestLogEntry[] = []
  private seq = 0

  add(entry: Omit<RequestLogEntry, 'seq' | 'status'>): RequestLogEntry {
    const full: RequestLogEntry = {...entry, seq: ++this.seq, status: null}
    this.entries.push(full)
    return full
  }

  list(): RequestLogEntry[] {
    return this.entries.map((e) => ({...e}))
  }

  clear(): void {
    this.entries = []
  }
}
