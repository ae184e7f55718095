import {Flags} from '@oclif/core'

import type {OutputOption} from './output-mode.js'

/** `--json`: one line of JSON on stdout instead of text. */
export const jsonFlag = Flags.boolean({description: 'Print JSON (one line) instead of text.'})

/** `-o/--output`: the formats a command offers besides its default table. */
export function outputFlag(formats: readonly OutputOption[]) {
  // Validated in DifyCommand rather than with `options`, so a bad value gets the
  // `unsupported_format` code and a hint instead of oclif's generic parse error.
  return Flags.string({
    char: 'o',
    description: `Output format: ${formats.join(', ')}. Omit for the default table.`,
    helpValue: formats.join('|'),
  })
}
