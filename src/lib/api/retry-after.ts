/**
 * `Retry-After` in whole seconds: delta-seconds or an HTTP-date (RFC 9110 §10.2.3), measured from
 * `nowMs`. Undefined when absent or unreadable, so callers treat it like no advice at all.
 */
export function parseRetryAfter(value: string | string[] | undefined, nowMs: number): number | undefined {
  const text = (Array.isArray(value) ? value[0] : value)?.trim()
  if (!text) return undefined
  if (/^\d+$/.test(text)) return Number(text)
  // Only dates with a weekday or a month name; Date.parse would also accept "12.5" or "-1".
  if (!/[a-z]{3}/i.test(text)) return undefined
  const at = Date.parse(text)
  if (Number.isNaN(at)) return undefined
  return Math.max(0, Math.ceil((at - nowMs) / 1000))
}

/** `12s`, `90s (1m30s)`, `3600s (1h)`: the exact number a server sent, plus a readable form. */
export function formatWait(seconds: number): string {
  if (seconds < 60) return `${seconds}s`
  const hours = Math.floor(seconds / 3600)
  const minutes = Math.floor((seconds % 3600) / 60)
  const rest = seconds % 60
  const readable = [hours ? `${hours}h` : '', minutes ? `${minutes}m` : '', rest ? `${rest}s` : ''].join('')
  return `${seconds}s (${readable})`
}
