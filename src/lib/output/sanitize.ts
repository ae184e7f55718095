// C0 controls except tab/newline, DEL, and C1 controls (which include the 8-bit CSI). Removing the
// ESC byte alone would leave "[31m" behind, so whole ANSI/OSC sequences are removed first.
const ANSI_SEQUENCE = /\u001B(?:\[[0-?]*[ -/]*[@-~]|\][^\u0007\u001B]*(?:\u0007|\u001B\\)|[@-Z\\-_])/g
const CONTROL = /[\u0000-\u0008\u000B-\u001F\u007F-\u009F]/g
// Invisible formatting a server could use to make text lie about itself: bidi overrides and
// isolates (a label that displays reversed), zero-width characters, the BOM.
const INVISIBLE = /[\u061C\u200B-\u200F\u202A-\u202E\u2060-\u2069\uFEFF]/g

/** Makes server- or file-supplied text safe to print on a terminal. Keeps tabs and newlines. */
export function stripControl(text: string): string {
  return text.replace(ANSI_SEQUENCE, '').replace(CONTROL, '').replace(INVISIBLE, '')
}

/** Same, for one-line fields (names, labels): newlines and tabs become spaces too. */
export function singleLine(text: string): string {
  return stripControl(text).replace(/[\t\n]/g, ' ')
}
