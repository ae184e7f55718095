import {singleLine} from './sanitize.js'
import {displayWidth, padEndToWidth, truncateToWidth} from './width.js'

/** No cell is wider than this: one 5,000-character label must not make every row 5,000 columns. */
const MAX_CELL_WIDTH = 64

/**
 * A plain table: a header row and data rows, columns separated by two spaces and padded by display
 * width (a CJK character is two cells). Cells are made single-line and control-free, and cut at
 * MAX_CELL_WIDTH (the machine formats carry the full text). Trailing
 * padding is trimmed so that piping the table keeps lines clean.
 */
export function renderTable(headers: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  const clean = rows.map((row) => row.map((cell) => truncateToWidth(singleLine(cell), MAX_CELL_WIDTH)))
  const widths = headers.map((header, column) => Math.max(displayWidth(header), ...clean.map((row) => displayWidth(row[column] ?? ''))))
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, column) => (column === cells.length - 1 ? cell : padEndToWidth(cell, widths[column])))
      .join('  ')
      .trimEnd()
  return [line(headers), ...clean.map((row) => line(row))].join('\n') + '\n'
}
