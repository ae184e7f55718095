/** The printed table and target list; the JSON file carries the same figures plus every sample. */

export interface Figure {
  name: string
  baseline: boolean
  reference?: boolean
  runs: number
  medianMs: number
  p25Ms: number
  p75Ms: number
  /** Median peak RSS; NaN where not measured. */
  rssMiB: number
}

export interface Target {
  name: string
  limit: string
  value: string
  met: boolean
}

export interface Report {
  date: string
  node: string
  platform: string
  cpus: number
  runs: number
  warmup: number
  floorMs: number
  frameworkMs: number
  /** What running under /usr/bin/time adds to `node -e 0` (login and revoke runs are wrapped). */
  gnuTimeOverheadMs: number
  figures: Figure[]
  targets: Target[]
  revoke: {sessionsPerS: number; deletePhaseSessionsPerS: number; maxInFlight: number; runs: unknown[]}
  samples: Record<string, {ms: number[]; rssKiB: number[]}>
}

function pad(text: string, width: number, right = false): string {
  return right ? text.padStart(width) : text.padEnd(width)
}

export function printReport(report: Report): void {
  const out = (line = '') => process.stdout.write(`${line}\n`)
  out(`difyctl benchmark — Node ${report.node}, ${report.platform}, ${report.cpus} CPUs, ${report.date}`)
  out(`medians of ${report.runs} interleaved runs after ${report.warmup} warm-up rounds (IQR = middle half of the runs)`)
  out()
  const rows = report.figures.map((f) => [
    f.name,
    f.medianMs.toFixed(0),
    `${f.p25Ms.toFixed(0)}–${f.p75Ms.toFixed(0)}`,
    `${(f.medianMs / report.floorMs).toFixed(2)}×`,
    `${(f.medianMs / report.frameworkMs).toFixed(2)}×`,
    Number.isNaN(f.rssMiB) ? '–' : f.rssMiB.toFixed(1),
  ])
  const header = ['', 'median ms', 'IQR ms', '× node -e 0', '× oclif import', 'peak RSS MiB']
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)))
  out(header.map((h, i) => pad(h, widths[i], i > 0)).join('  '))
  for (const row of rows) out(row.map((cell, i) => pad(cell, widths[i], i > 0)).join('  '))
  out()
  out(
    `revoke --all: ${report.revoke.sessionsPerS.toFixed(0)} sessions/s over the whole run, ${report.revoke.deletePhaseSessionsPerS.toFixed(0)} sessions/s from first to last DELETE, at most ${report.revoke.maxInFlight} DELETEs in flight (20 ms server latency each)`,
  )
  const reference = report.figures.find((f) => f.reference)
  if (reference) {
    const above = (name: string) => (report.figures.find((f) => f.name.startsWith(name))?.medianMs ?? Number.NaN) - reference.medianMs
    out(
      `the empty oclif CLI is ${(reference.medianMs / report.frameworkMs).toFixed(2)}× the framework floor; difyctl adds to it ${above('difyctl --version').toFixed(0)} ms (--version), ${above('auth whoami').toFixed(0)} ms (auth whoami), ${above('auth list').toFixed(0)} ms (auth list)`,
    )
  }

  out(`login and revoke runs ran under /usr/bin/time for their RSS; it adds ${report.gnuTimeOverheadMs.toFixed(1)} ms to node -e 0`)
  out()
  out('targets')
  const nameWidth = Math.max(...report.targets.map((t) => t.name.length))
  const limitWidth = Math.max(...report.targets.map((t) => t.limit.length))
  for (const target of report.targets) {
    out(`  ${target.met ? 'met    ' : 'NOT met'}  ${pad(target.name, nameWidth)}  ${pad(target.limit, limitWidth)}  ${target.value}`)
  }
}
