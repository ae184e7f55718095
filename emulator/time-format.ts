/**
 * Timestamps travel as whole microseconds since the epoch. JavaScript dates stop at milliseconds,
 * so the fractional part is formatted and parsed by hand: exactly six digits, or none when zero.
 */

export type Zone = 'Z' | '+00:00'

export function formatTimestamp(us: number, zone: Zone): string {
  const seconds = Math.floor(us / 1e6)
  const micros = us - seconds * 1e6
  const base = new Date(seconds * 1000).toISOString().slice(0, 19)
  const fraction = micros === 0 ? '' : `.${String(micros).padStart(6, '0')}`
  return `${base}${fraction}${zone}`
}

const ISO = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/

/** Parses an ISO 8601 instant with an explicit zone; returns null for anything else. */
export function parseTimestamp(text: string): number | null {
  const match = ISO.exec(text.trim())
  if (!match) return null
  const [, y, mo, d, h, mi, s, fraction = '', zone] = match
  const ms = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s))
  const check = new Date(ms)
  if (Number.isNaN(ms) || check.getUTCDate() !== Number(d) || check.getUTCMonth() !== Number(mo) - 1) return null
  if (Number(h) > 23 || Number(mi) > 59 || Number(s) > 59) return null
  let offsetMinutes = 0
  if (zone !== 'Z') {
    const sign = zone.startsWith('-') ? -1 : 1
    offsetMinutes = sign * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4, 6)))
  }

  const micros = Number(fraction.padEnd(6, '0').slice(0, 6))
  return (ms / 1000 - offsetMinutes * 60) * 1e6 + micros
}
