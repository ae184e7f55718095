// Code points that terminals draw two cells wide: the East Asian Wide and Fullwidth blocks that
// matter in practice (CJK, Hangul, Kana, fullwidth forms, common emoji). Combining marks take none.
const WIDE_RANGES: ReadonlyArray<readonly [number, number]> = [
  [0x1100, 0x115f],
  [0x2e80, 0x303e],
  [0x3041, 0x33ff],
  [0x3400, 0x4dbf],
  [0x4e00, 0x9fff],
  [0xa000, 0xa4cf],
  [0xac00, 0xd7a3],
  [0xf900, 0xfaff],
  [0xfe30, 0xfe4f],
  [0xff00, 0xff60],
  [0xffe0, 0xffe6],
  [0x1f300, 0x1f64f],
  [0x1f900, 0x1f9ff],
  [0x20000, 0x3fffd],
]

function isWide(codePoint: number): boolean {
  return WIDE_RANGES.some(([low, high]) => codePoint >= low && codePoint <= high)
}

function isZeroWidth(codePoint: number): boolean {
  return (codePoint >= 0x0300 && codePoint <= 0x036f) || codePoint === 0x200b || codePoint === 0x200d || (codePoint >= 0xfe00 && codePoint <= 0xfe0f)
}

// Printable ASCII only: one cell per character. Most cells (hosts, emails, ids) are, and a table of
// a thousand rows then costs a regex test per cell instead of a range search per character.
const PRINTABLE_ASCII = /^[\x20-\x7e]*$/

/** The number of terminal cells `text` occupies (assumes control characters were stripped). */
export function displayWidth(text: string): number {
  if (PRINTABLE_ASCII.test(text)) return text.length
  let width = 0
  for (const char of text) {
    const codePoint = char.codePointAt(0) ?? 0
    if (isZeroWidth(codePoint)) continue
    width += isWide(codePoint) ? 2 : 1
  }

  return width
}

export function padEndToWidth(text: string, width: number): string {
  return text + ' '.repeat(Math.max(0, width - displayWidth(text)))
}

/** Cuts `text` to at most `width` cells, marking the cut with an ellipsis. */
export function truncateToWidth(text: string, width: number): string {
  if (displayWidth(text) <= width) return text
  let out = ''
  let used = 0
  for (const char of text) {
    const cells = displayWidth(char)
    if (used + cells > width - 1) break
    out += char
    used += cells
  }

  return `${out}…`
}
